package main

import (
	"os/exec"
	"syscall"
)

// chaosChildAttr makes the kernel kill a `serve` child when the chaos
// process dies, so that no server outlives an interrupted run.
func chaosChildAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
