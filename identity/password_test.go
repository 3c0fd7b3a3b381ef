package identity

import (
	"errors"
	"strings"
	"testing"
)

// CONVENTIONS.md: argon2id about m=19 MiB, t=2, p=1 — the one test that
// runs the default costs.
func TestDefaultParams(t *testing.T) {
	h, err := HashPassword(HashParams{}, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not the default PHC string: %s", h)
	}
	if ok, err := VerifyPassword(h, goodPassword); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword(fastParams, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		if ok, err := VerifyPassword(h, goodPassword); !ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
	})
	t.Run("WrongPassword", func(t *testing.T) {
		if ok, err := VerifyPassword(h, goodPassword+"x"); ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
	})
	t.Run("FreshSalt", func(t *testing.T) {
		h2, _ := HashPassword(fastParams, goodPassword)
		if h2 == h {
			t.Fatal("two hashes of one password are equal: the salt is not random")
		}
	})
	t.Run("ParametersFromTheString", func(t *testing.T) {
		parsed, err := parseHash(h)
		if err != nil {
			t.Fatal(err)
		}
		if parsed.params != fastParams || len(parsed.salt) != saltLen || len(parsed.key) != keyLen {
			t.Fatalf("parsed %+v, salt %d, key %d", parsed.params, len(parsed.salt), len(parsed.key))
		}
		// A hash made with other costs still verifies: they are read back, not assumed.
		other, _ := HashPassword(HashParams{Memory: 128, Time: 2, Threads: 2}, goodPassword)
		if !strings.Contains(other, "$m=128,t=2,p=2$") {
			t.Fatalf("params not written: %s", other)
		}
		if ok, err := VerifyPassword(other, goodPassword); !ok || err != nil {
			t.Fatalf("verify: %v %v", ok, err)
		}
	})
	t.Run("TamperedHash", func(t *testing.T) {
		i := strings.LastIndex(h, "$") + 1
		c := byte('A')
		if h[i] == 'A' {
			c = 'B'
		}
		tampered := h[:i] + string(c) + h[i+1:]
		if ok, err := VerifyPassword(tampered, goodPassword); ok || err != nil {
			t.Fatalf("tampered key: %v %v", ok, err)
		}
		// Changed costs derive another key.
		cheaper := strings.Replace(h, "t=1", "t=2", 1)
		if ok, err := VerifyPassword(cheaper, goodPassword); ok || err != nil {
			t.Fatalf("tampered params: %v %v", ok, err)
		}
	})
	t.Run("ErrMalformedHash", func(t *testing.T) {
		for _, bad := range []string{
			"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
			strings.Replace(h, "v=19", "v=16", 1),
			strings.Replace(h, "m=64", "m=99999999", 1), // would allocate ~100 GB
			strings.Replace(h, "p=1", "p=0", 1),
			strings.Replace(h, "m=64,t=1,p=1", "m=64,t=1", 1),
			h[:strings.LastIndex(h, "$")] + "$!!!",
			h + "$extra",
		} {
			if ok, err := VerifyPassword(bad, goodPassword); ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("%q: %v %v", bad, ok, err)
			}
		}
	})
}
