package beian

import (
	"sync"
	"time"
)

// Clock tells the time. Domain and store code never call time.Now: they take
// a Clock, so that tests and the sandbox can move time (PRODUCT.md, "Shape").
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the machine's clock.
var SystemClock Clock = ClockFunc(time.Now)

// CST is China Standard Time (UTC+8, no daylight saving since 1991). Every
// date and deadline is reckoned in it, whatever the server's zone (Rule CAL-0).
// A fixed zone keeps the product independent of the machine's tz database.
var CST = time.FixedZone("CST", 8*60*60)

// DateOf returns the calendar date of t in China Standard Time, as midnight
// CST of that day (Rule CAL-0).
func DateOf(t time.Time) time.Time {
	t = t.In(CST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, CST)
}

// ParseDate parses a YYYY-MM-DD date as midnight China Standard Time.
func ParseDate(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, CST)
}

// ManualClock is a clock that moves only when told: for tests and for
// replaying time. It is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock standing at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
