package main

import (
	"runtime/debug"
	"testing"
)

// The collector runs at defaultGOGC unless GOGC is set in the environment
// (docs/operations.md, "Memory").
func TestSetGOGC(t *testing.T) {
	was := debug.SetGCPercent(100)
	defer debug.SetGCPercent(was)
	setGOGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != defaultGOGC {
		t.Fatalf("without GOGC: %d, want %d", got, defaultGOGC)
	}
	setGOGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set: the target moved to %d", got)
	}
}
