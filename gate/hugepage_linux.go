package gate

import (
	"syscall"
	"unsafe"
)

// adviseHuge asks the kernel to back a big buffer with transparent huge
// pages (MADV_HUGEPAGE). Random probes over hundreds of megabytes miss the
// TLB on nearly every access with 4 KiB pages, and under virtualisation a
// TLB miss costs a two-dimensional page walk: huge pages remove most of
// them. Only whole 2 MiB pages inside the buffer are advised; errors are
// ignored (the advice is an optimisation).
func adviseHuge(p unsafe.Pointer, size int) {
	const huge = 2 << 20
	if size < 2*huge {
		return
	}
	start := (uintptr(p) + huge - 1) &^ (huge - 1)
	end := (uintptr(p) + uintptr(size)) &^ (huge - 1)
	if end <= start {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start), 14 /* MADV_HUGEPAGE */)
}
