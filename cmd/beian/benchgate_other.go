//go:build !linux

package main

import "time"

var benchEpoch = time.Now()

// threadCPU falls back to wall time where RUSAGE_THREAD is missing.
func threadCPU() time.Duration { return time.Since(benchEpoch) }
