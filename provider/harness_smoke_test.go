package provider

import (
	"testing"

	"github.com/beian/beian"
)

// The harness itself: a customer authenticates with its token and the
// registry's public query answers through the same server.
func TestHarness(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.customer(t)
		var me struct {
			Role beian.Role `json:"role"`
		}
		c.call(t, 200, "GET", "/api/v1/me", nil, &me)
		if me.Role != beian.RoleCustomer {
			t.Fatalf("me: %+v", me)
		}
		e.anonymous().call(t, 401, "GET", "/api/v1/me", nil, nil)
		e.advanceBusinessDays(t, 3)
		if got := e.clock.Now(); !got.Equal(t0.AddDate(0, 0, 3)) { // Monday 10:00 → Thursday 10:00
			t.Fatalf("clock after 3 business days: %v", got)
		}
	})
}
