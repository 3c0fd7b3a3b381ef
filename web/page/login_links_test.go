package page

import (
	"strings"
	"testing"

	"github.com/beian/beian/regulator"
)

// The login page links only to the desks this process serves: without the
// provider no customer sign-up, without the registry no password
// retrieval (a `beian regulator`, or a provider with a remote regulator).
func TestLoginLinks(t *testing.T) {
	for _, tc := range []struct {
		name       string
		opts       Options
		want, none []string
	}{
		{"Neither", Options{Login: fakeLogin}, nil, []string{"/console/signup", `href="/password"`}},
		{"Registry", Options{Login: fakeLogin, Registry: &regulator.Registry{}}, []string{`href="/password"`}, []string{"/console/signup"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, h := newPages(t, tc.opts)
			body := get(t, h, "/login").Body.String()
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %s on /login", w)
				}
			}
			for _, n := range tc.none {
				if strings.Contains(body, n) {
					t.Errorf("/login links %s", n)
				}
			}
		})
	}
}
