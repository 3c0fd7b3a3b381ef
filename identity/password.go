package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are the argon2id cost parameters for new password hashes
// (CONVENTIONS.md: about m=19 MiB, t=2, p=1). Zero fields take the defaults.
type HashParams struct {
	Memory  uint32 // KiB; default 19*1024
	Time    uint32 // passes; default 2
	Threads uint8  // lanes; default 1
}

// DefaultHashParams are the parameters of CONVENTIONS.md.
var DefaultHashParams = HashParams{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16 // bytes of random salt per hash
	keyLen  = 32 // bytes of derived key

	// Bounds on parameters read back from a stored hash, so that a tampered
	// row cannot make a login allocate gigabytes or spin for minutes.
	maxMemory  = 1 << 20 // KiB (1 GiB)
	maxTime    = 64
	maxThreads = 64
)

// withDefaults fills zero fields from DefaultHashParams.
func (p HashParams) withDefaults() HashParams {
	if p.Memory == 0 {
		p.Memory = DefaultHashParams.Memory
	}
	if p.Time == 0 {
		p.Time = DefaultHashParams.Time
	}
	if p.Threads == 0 {
		p.Threads = DefaultHashParams.Threads
	}
	return p
}

var b64 = base64.RawStdEncoding // PHC strings use unpadded standard base64

// HashPassword returns the argon2id hash of password as a PHC string,
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>", with a fresh 16-byte random
// salt and a 32-byte key. Zero parameters take the defaults.
func HashPassword(p HashParams, password string) (string, error) {
	p = p.withDefaults()
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformedHash is returned by VerifyPassword for a string that is not an
// argon2id PHC hash within the accepted bounds.
var ErrMalformedHash = errors.New("identity: malformed password hash")

// phc is a parsed PHC argon2id string.
type phc struct {
	params    HashParams
	salt, key []byte
}

// parseHash parses and bounds-checks an argon2id PHC string.
func parseHash(encoded string) (phc, error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return phc{}, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return phc{}, fmt.Errorf("%w: version %q", ErrMalformedHash, parts[2])
	}
	var h phc
	var m, t, p uint64
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != parts[3] {
		return phc{}, fmt.Errorf("%w: parameters", ErrMalformedHash)
	}
	if m < 8*p || m > maxMemory || t < 1 || t > maxTime || p < 1 || p > maxThreads {
		return phc{}, fmt.Errorf("%w: parameters out of bounds", ErrMalformedHash)
	}
	h.params = HashParams{Memory: uint32(m), Time: uint32(t), Threads: uint8(p)}
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return phc{}, fmt.Errorf("%w: salt", ErrMalformedHash)
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return phc{}, fmt.Errorf("%w: key", ErrMalformedHash)
	}
	return h, nil
}

// VerifyPassword reports whether password matches the PHC string encoded,
// deriving the key with the parameters, salt and key length read from the
// string and comparing in constant time. A string that cannot be parsed is
// an error wrapping ErrMalformedHash.
func VerifyPassword(encoded, password string) (bool, error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}
