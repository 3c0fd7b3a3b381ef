package validate

import (
	"strings"
	"unicode"

	"golang.org/x/net/idna"

	"github.com/beian/beian"
)

// idPhoneText turns full-width characters to half-width, drops invisible
// format characters and upper-cases ASCII letters, keeping spaces.
func idPhoneText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = idHalfWidth(r)
		switch {
		case unicode.Is(unicode.Cf, r):
			continue
		case 'a' <= r && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// idCutCountryCode removes a leading +86, 0086 or 86 country code (China)
// and the separators after it.
func idCutCountryCode(s string) (rest string, cut bool) {
	for _, p := range []string{"+86", "0086", "86"} {
		if strings.HasPrefix(s, p) {
			return strings.TrimLeft(s[len(p):], " -"), true
		}
	}
	return s, false
}

// Mobile checks a mainland mobile number (Rule SUBJ-3) and returns it as 11
// digits. It accepts a +86, 86 or 0086 prefix, spaces, hyphens and
// full-width digits; the number is 11 digits starting with 13 to 19. On a
// problem the number returned is "".
func Mobile(phone string) (string, beian.Problems) {
	s := strings.NewReplacer(" ", "", "-", "").Replace(idPhoneText(phone))
	var ps beian.Problems
	if s == "" {
		ps.Add(idCodeMobileRequired, idRuleCert, "")
		return "", ps
	}
	// A bare "86" is a country code only in front of a full number: a
	// mobile number itself never starts with 8.
	if rest, cut := idCutCountryCode(s); cut && (s[0] != '8' || len(rest) == 11) {
		s = rest
	}
	if len(s) != 11 || !idIsDigits(s) || s[0] != '1' || s[1] < '3' {
		ps.Add(idCodeMobileInvalid, idRuleCert, "")
		return "", ps
	}
	return s, nil
}

// idExtMarkers introduce an extension, in upper case as idPhoneText leaves them.
var idExtMarkers = []string{"转", "分机", "EXT", "X", "#"}

// Landline checks a mainland fixed-line number (Rule SUBJ-3) and returns it
// as "AREA-NUMBER" or "AREA-NUMBER-EXTENSION", e.g. "010-12345678" or
// "0571-87654321-123". The area code is 0 and two digits (10, 20-29) or three
// digits (the rest), the number 7 or 8 digits not starting with 0, the
// extension 1 to 6 digits after 转, 分机, ext, x, # or a last separated group.
// A +86, 86 or 0086 prefix may replace the area code's 0; spaces, hyphens and
// parentheses separate groups. On a problem the number returned is "".
func Landline(phone string) (string, beian.Problems) {
	s := idPhoneText(phone)
	var ps beian.Problems
	if s == "" {
		ps.Add(idCodeLandlineRequired, idRuleCert, "")
		return "", ps
	}
	if out, ok := idLandline(s); ok {
		return out, nil
	}
	ps.Add(idCodeLandlineInvalid, idRuleCert, "")
	return "", ps
}

func idLandline(s string) (string, bool) {
	ext, marked := "", false
	for _, m := range idExtMarkers {
		if i := strings.Index(s, m); i >= 0 {
			s, ext, marked = s[:i], strings.Trim(s[i+len(m):], " .:-"), true
			break
		}
	}
	s, cut := idCutCountryCode(strings.TrimSpace(s))
	groups := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" -()", r) })
	if len(groups) == 0 {
		return "", false
	}
	for _, g := range groups {
		if !idIsDigits(g) {
			return "", false
		}
	}
	if cut && groups[0][0] != '0' {
		groups[0] = "0" + groups[0]
	}
	if marked {
		num, ok := idLandlineNumber(strings.Join(groups, ""))
		if !ok || !idIsDigits(ext) || len(ext) > 6 {
			return "", false
		}
		return num + "-" + ext, true
	}
	// Without a marker, a last group after a complete number is its
	// extension ("0571-87654321-123"); otherwise the groups are one number
	// written in pieces ("010 1234 5678").
	if n := len(groups); n >= 2 && len(groups[n-1]) <= 6 {
		if num, ok := idLandlineNumber(strings.Join(groups[:n-1], "")); ok {
			return num + "-" + groups[n-1], true
		}
	}
	return idLandlineNumber(strings.Join(groups, ""))
}

// idLandlineNumber splits the digits of area code and number into "AREA-NUMBER".
func idLandlineNumber(d string) (string, bool) {
	if len(d) < 10 || d[0] != '0' || d[1] == '0' || (d[1] == '1' && d[2] != '0') {
		return "", false
	}
	area := 4
	if d[1] == '1' || d[1] == '2' {
		area = 3
	}
	local := d[area:]
	// Real local numbers start with 2-9, but 1 is let through: the product's
	// own examples (010-12345678) use it, and refusing it buys nothing.
	if len(local) < 7 || len(local) > 8 || local[0] == '0' {
		return "", false
	}
	return d[:area] + "-" + local, true
}

// Email length limits of RFC 5321: the local part and the whole address (in
// its ASCII form).
const (
	idEmailLocalMax = 64
	idEmailMax      = 254
)

// Email checks one plain email address (Rule SUBJ-3): local@domain, no
// display name or angle brackets, an ASCII dot-atom local part of at most 64
// characters, a domain with a dot in ASCII or as an internationalised name
// (IDNA, e.g. 例子.中国), at most 254 characters in all (domain counted in its
// ASCII form). Full-width characters (＠, ．) are accepted. It returns the
// address with the domain in lower case: an ASCII domain stays ASCII, an
// internationalised one is given in its Unicode form. On a problem the
// address returned is "".
func Email(addr string) (string, beian.Problems) {
	// Unlike idPhoneText, keep the case: the local part's may matter to
	// the mail server.
	s := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return idHalfWidth(r)
	}, addr))
	var ps beian.Problems
	if s == "" {
		ps.Add(idCodeEmailRequired, idRuleCert, "")
		return "", ps
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		ps.Add(idCodeEmailInvalid, idRuleCert, "")
		return "", ps
	}
	local, domain := s[:at], s[at+1:]
	display, ascii, domainOK := idEmailDomain(domain)
	if len(local) > idEmailLocalMax || len(local)+1+len(ascii) > idEmailMax {
		ps.Add(idCodeEmailTooLong, idRuleCert, "")
	}
	if !idDotAtom(local) || !domainOK {
		ps.Add(idCodeEmailInvalid, idRuleCert, "")
	}
	if len(ps) > 0 {
		return "", ps
	}
	return local + "@" + display, nil
}

// idDotAtom reports whether s is an RFC 5322 dot-atom of ASCII characters.
func idDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte(".!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// idEmailDomain checks a mail domain: a host name of at least two labels,
// letters, digits and hyphens in its ASCII form, the last label at least two
// characters and not all digits. It returns the form to keep (lower case;
// Unicode for an internationalised name) and the ASCII form, which for an
// invalid domain is as far as the conversion got (for the length check).
func idEmailDomain(d string) (display, ascii string, ok bool) {
	a, err := idna.Lookup.ToASCII(d)
	if err != nil || len(a) > 253 {
		return "", d, false
	}
	labels := strings.Split(a, ".")
	if tld := labels[len(labels)-1]; len(labels) < 2 || len(tld) < 2 || idIsDigits(tld) {
		return "", a, false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", a, false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return "", a, false
			}
		}
	}
	if idIsASCII(d) {
		return a, a, true
	}
	u, err := idna.Lookup.ToUnicode(a)
	if err != nil {
		return "", a, false
	}
	return u, a, true
}

// idIsASCII reports whether s has only ASCII characters.
func idIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
