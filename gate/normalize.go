package gate

import (
	"strings"

	"golang.org/x/net/idna"
)

// MaxHost is the longest host name the gate accepts (RFC 1035, without the
// root dot); longer hosts are blocked as unfiled.
const MaxHost = 253

// lookupIDNA converts a non-ASCII host the way a browser does before it
// resolves it (UTS #46 lookup: case folding, full-width forms, the
// ideographic full stop).
var lookupIDNA = idna.Lookup

// normalizeHost turns a Host header, X-Forwarded-Host value or TLS server
// name into the ASCII name the index holds (Rule GATE-1): the first of a
// comma-separated list, trimmed, lower-case, without port and without one
// trailing dot, IDNA to ASCII. It reports false for what can never be
// served: empty, IP literals, over MaxHost bytes, empty or over-long labels,
// characters outside letters, digits, '-', '_' and '.'. An already
// normalised ASCII host comes back as a substring of in: no allocation.
func normalizeHost(in string) (string, bool) {
	if h, res := fastHost(in); res != hostBad {
		if res == hostUpper {
			h = strings.ToLower(h)
		}
		return h, true
	}
	s := in
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	s = trimSpace(s)
	if s == "" || s[0] == '[' { // empty, or an IPv6 literal
		return "", false
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if strings.IndexByte(s, ':') != i { // a bare IPv6 address
			return "", false
		}
		for j := i + 1; j < len(s); j++ {
			if s[j] < '0' || s[j] > '9' {
				return "", false
			}
		}
		s = s[:i]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	switch asciiHost(s) {
	case hostOK:
		return s, true
	case hostUpper:
		return strings.ToLower(s), true
	case hostUnicode:
		a, err := lookupIDNA.ToASCII(s)
		if err != nil {
			return "", false
		}
		a = strings.TrimSuffix(a, ".")
		if asciiHost(a) != hostOK {
			return "", false
		}
		return a, true
	}
	return "", false
}

// Outcomes of asciiHost.
const (
	hostBad = iota
	hostOK
	hostUpper   // valid once lower-cased
	hostUnicode // needs IDNA
)

// Byte classes of fastHost.
const (
	clsOther = iota // anything else: the general path decides
	clsName         // a-z 0-9 - _
	clsUpper        // A-Z
	clsDot
)

var hostClass = func() (t [256]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsName
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsName
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clsUpper
	}
	t['-'], t['_'], t['.'] = clsName, clsName, clsDot
	return t
}()

// fastHost is normalizeHost's path for the hosts browsers send: letters,
// digits, '-', '_' and dots only, no port, at most one trailing dot. One
// pass with a class table; it answers hostBad for anything else, which
// the general path then examines.
func fastHost(s string) (string, int) {
	if n := len(s); n > 0 && s[n-1] == '.' {
		s = s[:n-1]
	}
	if s == "" || len(s) > MaxHost {
		return "", hostBad
	}
	res, dot := hostOK, -1
	for i := 0; i < len(s); i++ {
		switch hostClass[s[i]] {
		case clsName:
		case clsUpper:
			res = hostUpper
		case clsDot:
			if i-dot == 1 || i-dot > 64 {
				return "", hostBad
			}
			dot = i
		default:
			return "", hostBad
		}
	}
	if len(s)-dot == 1 || len(s)-dot > 64 {
		return "", hostBad
	}
	if numeric(s[dot+1:]) {
		return "", hostBad // the last label is a number: an IPv4 address or no domain
	}
	return s, res
}

// asciiHost classifies s without allocating: labels of letters, digits,
// '-' and '_', 1 to 63 bytes each, at most MaxHost bytes in all, and a last
// label that is not all digits (an IPv4 address or a number is never a
// domain).
func asciiHost(s string) int {
	if s == "" || len(s) > MaxHost*4 {
		return hostBad
	}
	res, label, digits := hostOK, 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '-', c == '_':
			digits = false
		case c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			digits = false
			if res == hostOK {
				res = hostUpper
			}
		case c == '.':
			if label == 0 {
				return hostBad
			}
			label, digits = 0, true
			continue
		case c >= 0x80:
			res = hostUnicode
			digits = false
		default:
			return hostBad
		}
		if label++; label > 63 && res != hostUnicode {
			return hostBad
		}
	}
	if label == 0 || digits {
		return hostBad
	}
	if res != hostUnicode && len(s) > MaxHost {
		return hostBad
	}
	return res
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
