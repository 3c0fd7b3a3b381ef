// Package beian holds the provider's domain of the beian ICP filing platform:
// the application error type shared by every package, the clock and the
// connector interface through which the provider talks to the regulator.
//
// The package does no I/O. Implementations live in sub-packages
// (validate, calendar, refdata, sqlstore, web, regulator, ...) and are wired
// together by cmd/beian.
package beian
