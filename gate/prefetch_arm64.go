package gate

import "unsafe"

// prefetch2 asks for the cache lines at a and b without waiting for them
// (PRFM PLDL1KEEP; Go has no prefetch of its own outside the runtime).
//
//go:noescape
func prefetch2(a, b unsafe.Pointer)
