package validate

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// DNS length limits (RFC 1035), counted on the ASCII (punycode) form.
const (
	WebMaxDomainLength = 253 // a whole name, without the root dot
	WebMaxLabelLength  = 63  // one label
)

// Domain is a domain name in its two forms (Rule WEB-4): ASCII is stored,
// Unicode is shown.
type Domain struct {
	ASCII   string // punycode, lower case: "xn--fsqu00a.xn--fiqs8s"
	Unicode string // for display: "例子.中国"
}

// String returns the display form.
func (d Domain) String() string { return d.Unicode }

// webIDNA is registration-strict: no mapping (input must already be lower
// case and NFC), STD3 characters, hyphen and joiner rules, the Bidi rule.
// Lengths are checked by the caller so that they get their own codes.
var webIDNA = idna.New(idna.ValidateForRegistration(), idna.VerifyDNSLength(false))

// webFold maps full-width ASCII (ＡＢＣ１２３．－) to ASCII, the ideographic
// full stops 。 and ｡ to '.', and the ideographic space to a space: what
// Chinese input methods produce when a user types a name.
func webFold(s string) string {
	if webIsASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFF01 - 0x21
		case r == '。' || r == '｡':
			r = '.'
		case r == '\u3000':
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

func webIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// webPrepare is the shared first step for domains and hosts (Rule WEB-4):
// trim, fold full-width forms, lower-case, strip one trailing dot.
func webPrepare(s string) string {
	s = strings.ToLower(strings.TrimSpace(webFold(s)))
	return strings.TrimSuffix(s, ".")
}

// webIsIP reports whether s is an IP address, with or without brackets.
func webIsIP(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	_, err := netip.ParseAddr(s)
	return err == nil
}

// webToASCII converts a prepared name to ASCII label by label. With
// underscores allowed, a label of ASCII letters, digits, '-' and '_' is kept
// as it is (host names such as my_app.example.com resolve in browsers).
func webToASCII(s string, allowUnderscore bool) (string, bool) {
	if s == "" {
		return "", false
	}
	labels := strings.Split(s, ".")
	plain := true
	for _, l := range labels {
		if l == "" {
			return "", false
		}
		if allowUnderscore && strings.Contains(l, "_") {
			plain = false
		}
	}
	if plain {
		a, err := webIDNA.ToASCII(s)
		return a, err == nil && webLabelsKept(a, len(labels)) && webCanonical(a)
	}
	for i, l := range labels {
		if strings.Contains(l, "_") {
			for _, r := range l {
				if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
					return "", false
				}
			}
			continue
		}
		a, err := webIDNA.ToASCII(l)
		if err != nil || !webLabelsKept(a, 1) || !webCanonical(a) {
			return "", false
		}
		labels[i] = a
	}
	return strings.Join(labels, "."), true
}

// webCanonical reports whether every A-label ("xn--…") of an ASCII name is
// the canonical form of its U-label. The fuzzer found A-labels that decode
// (e.g. to upper-case Cherokee letters) but map to another A-label on the
// way back, so one host would have two forms; such names are refused.
func webCanonical(ascii string) bool {
	for _, l := range strings.Split(ascii, ".") {
		if !strings.HasPrefix(l, "xn--") {
			continue
		}
		u, err := webIDNA.ToUnicode(l)
		if err != nil {
			return false
		}
		// Names are lower-cased before conversion, so the canonical U-label
		// is lower case: an A-label of upper-case letters names no domain.
		if back, err := webIDNA.ToASCII(strings.ToLower(u)); err != nil || back != l {
			return false
		}
	}
	return true
}

// webLabelsKept reports whether an IDNA result still has n non-empty labels:
// the idna package turns a bare "xn--" label into an empty one.
func webLabelsKept(ascii string, n int) bool {
	labels := strings.Split(ascii, ".")
	return len(labels) == n && !slices.Contains(labels, "")
}

// webUnicode is the display form of an ASCII name; names that cannot be
// decoded are shown as they are.
func webUnicode(ascii string) string {
	u, err := webIDNA.ToUnicode(ascii)
	if err != nil {
		return ascii
	}
	return u
}

// webLengthsOK reports whether an ASCII name keeps the DNS length limits.
func webLengthsOK(ascii string) bool {
	if len(ascii) > WebMaxDomainLength {
		return false
	}
	for _, l := range strings.Split(ascii, ".") {
		if len(l) > WebMaxLabelLength {
			return false
		}
	}
	return true
}

// webSuffix returns the ICANN public suffix of an ASCII name; private is
// true when the name lies at or below a private-section suffix (github.io,
// blogspot.com), which beian never treats as registrable. A TLD missing from
// the public-suffix list counts as its own suffix (the list's default rule).
func webSuffix(ascii string) (suffix string, private bool) {
	suffix, icann := publicsuffix.PublicSuffix(ascii)
	return suffix, !icann && strings.Contains(suffix, ".")
}

// webRegistrableASCII is the eTLD+1 of an ASCII name, "" when there is none.
func webRegistrableASCII(ascii string) string {
	suffix, private := webSuffix(ascii)
	if private || len(ascii) <= len(suffix) || ascii[len(ascii)-len(suffix)-1] != '.' {
		return ""
	}
	rest := ascii[:len(ascii)-len(suffix)-1]
	return rest[strings.LastIndexByte(rest, '.')+1:] + "." + suffix
}

// Registrable returns the registrable domain (ICANN eTLD+1) of any host name:
// a subdomain finds its registrable domain (Rules QRY-1, GATE-1). The host is
// trimmed, folded from full width, lower-cased, stripped of one trailing dot
// and converted to ASCII; labels left of the registrable domain may hold
// underscores. It reports false for IP addresses, bare public suffixes,
// names at or below a private-section suffix (github.io), names over the DNS
// length limits and invalid names. It does not check the TLD approval; ref
// is unused and may be nil.
func Registrable(ref *refdata.Data, host string) (Domain, bool) {
	_ = ref
	s := webPrepare(host)
	if s == "" || webIsIP(s) {
		return Domain{}, false
	}
	ascii, ok := webToASCII(s, true)
	if !ok || !webLengthsOK(ascii) {
		return Domain{}, false
	}
	reg := webRegistrableASCII(ascii)
	if reg == "" || strings.Contains(reg, "_") {
		return Domain{}, false
	}
	if _, err := webIDNA.ToASCII(reg); err != nil {
		return Domain{}, false
	}
	return Domain{ASCII: reg, Unicode: webUnicode(reg)}, true
}

// NormalizeDomain checks one domain a customer enters and returns its two
// forms (Rule WEB-4). The input is trimmed; full-width dots (。．｡) and other
// full-width ASCII become ASCII; it is lower-cased, one trailing dot is
// dropped and it is converted to punycode with a registration-strict IDNA
// profile. It must then be exactly a registrable domain (ICANN eTLD+1: a
// subdomain is refused with Args["suggest"] naming its registrable domain, a
// private-section suffix such as github.io is refused), on an approved TLD
// (ref.ApprovedTLD) and within the DNS length limits. On any problem the
// returned Domain is the zero value.
func NormalizeDomain(ref *refdata.Data, input string) (Domain, beian.Problems) {
	var ps beian.Problems
	s := webPrepare(input)
	switch {
	case s == "":
		webAdd(&ps, "web.domain_required", "")
		return Domain{}, ps
	case webIsIP(s):
		webAdd(&ps, "web.domain_ip", "")
		return Domain{}, ps
	case strings.ContainsAny(s, "/:?#@\\"):
		webAdd(&ps, "web.domain_url", "")
		return Domain{}, ps
	}
	ascii, ok := "", !strings.ContainsFunc(s, unicode.IsSpace)
	if ok {
		ascii, ok = webToASCII(s, false)
	}
	if !ok {
		webAdd(&ps, "web.domain_invalid", "")
		return Domain{}, ps
	}

	if len(ascii) > WebMaxDomainLength {
		webAdd(&ps, "web.domain_too_long", "", "max", strconv.Itoa(WebMaxDomainLength))
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if len(l) > WebMaxLabelLength {
			webAdd(&ps, "web.domain_label_too_long", "", "max", strconv.Itoa(WebMaxLabelLength))
			break
		}
	}
	tld := labels[len(labels)-1]
	if !ref.ApprovedTLD(tld) {
		webAdd(&ps, "web.domain_tld_not_approved", "", "tld", "."+webUnicode(tld))
	}
	suffix, private := webSuffix(ascii)
	switch {
	case private:
		webAdd(&ps, "web.domain_private_suffix", "", "suffix", webUnicode(suffix))
	case ascii == suffix:
		webAdd(&ps, "web.domain_public_suffix", "", "suffix", webUnicode(suffix))
	default:
		if reg := webRegistrableASCII(ascii); reg != ascii {
			webAdd(&ps, "web.domain_subdomain", "",
				"suggest", webUnicode(reg), "suggest_ascii", reg)
		}
	}
	if len(ps) > 0 {
		return Domain{}, ps
	}
	return Domain{ASCII: ascii, Unicode: webUnicode(ascii)}, nil
}

// Domains checks a website's domain list (Rule WEB-4): each entry through
// NormalizeDomain with field "[i]"; an entry equal to an earlier one after
// normalising is reported at the later index (Args["first"] is the earlier
// index); an empty list is refused, and so is a list longer than max when max
// > 0 (Args["max"]). It returns the accepted domains in input order, without
// the refused entries and the repeats.
func Domains(ref *refdata.Data, inputs []string, max int) ([]Domain, beian.Problems) {
	var ps beian.Problems
	if len(inputs) == 0 {
		webAdd(&ps, "web.domains_required", "")
		return nil, ps
	}
	if max > 0 && len(inputs) > max {
		webAdd(&ps, "web.domains_too_many", "", "max", strconv.Itoa(max))
	}
	var out []Domain
	seen := map[string]int{}
	for i, in := range inputs {
		field := "[" + strconv.Itoa(i) + "]"
		d, more := NormalizeDomain(ref, in)
		if len(more) > 0 {
			ps.Extend(field, more)
			continue
		}
		if first, dup := seen[d.ASCII]; dup {
			webAdd(&ps, "web.domain_duplicate", field, "domain", d.Unicode, "first", strconv.Itoa(first))
			continue
		}
		seen[d.ASCII] = i
		out = append(out, d)
	}
	return out, ps
}
