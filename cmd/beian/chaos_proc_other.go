//go:build !linux

package main

import "os/exec"

// chaosChildAttr does nothing where the kernel cannot tie a child's life
// to its parent's; an interrupted run may leave its server running there.
func chaosChildAttr(*exec.Cmd) {}
