//go:build !linux

package gate

import "unsafe"

// adviseHuge does nothing where transparent huge pages are unknown.
func adviseHuge(p unsafe.Pointer, size int) {}
