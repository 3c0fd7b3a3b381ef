package validate

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/beian/beian"
)

// webSchemeRe matches a leading URL scheme ("http://", "ftp://", "//").
var webSchemeRe = regexp.MustCompile(`^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//`)

// Homepage checks a website's homepage address (Rule WEB-1). It is a host
// with an optional path: no scheme (any "x://"), no port, no query or
// fragment, no spaces. The host is normalised like a domain (full-width
// forms, case, one trailing dot, IDNA) and its registrable domain must be
// one of domains (compared in ASCII). When requireWWW is set (the provider's
// setting, on by default) the host must also start with "www.". Every
// problem is reported; after a format problem (scheme, space, query, port)
// the rest of the value is still checked as if it had been fixed.
func Homepage(homepage string, domains []Domain, requireWWW bool) beian.Problems {
	var ps beian.Problems
	s := strings.TrimSpace(homepage)
	if s == "" {
		webAdd(&ps, "web.homepage_required", "")
		return ps
	}
	if m := webSchemeRe.FindString(s); m != "" {
		webAdd(&ps, "web.homepage_scheme", "")
		s = s[len(m):]
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		webAdd(&ps, "web.homepage_space", "")
		s = strings.Join(strings.Fields(s), "")
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		webAdd(&ps, "web.homepage_query", "")
		s = s[:i]
	}
	host, path := s, ""
	if i := strings.IndexAny(s, "/\\"); i >= 0 {
		host, path = s[:i], s[i:]
	}
	if strings.HasPrefix(host, "[") { // an IPv6 literal, maybe with a port
		webAdd(&ps, "web.homepage_ip", "")
		return ps
	}
	if i := strings.LastIndexAny(host, ":："); i >= 0 {
		port := strings.TrimLeft(host[i:], ":：")
		if strings.Trim(webFold(port), "0123456789") != "" {
			webAdd(&ps, "web.homepage_invalid", "")
			return ps
		}
		webAdd(&ps, "web.homepage_port", "")
		host = host[:i]
	}
	if !webPathOK(path) {
		webAdd(&ps, "web.homepage_path_invalid", "")
	}

	h := webPrepare(host)
	switch {
	case webIsIP(h):
		webAdd(&ps, "web.homepage_ip", "")
		return ps
	case h == "" || strings.Contains(h, "@"):
		webAdd(&ps, "web.homepage_invalid", "")
		return ps
	}
	ascii, ok := webToASCII(h, false)
	if !ok || !webLengthsOK(ascii) {
		webAdd(&ps, "web.homepage_invalid", "")
		return ps
	}
	reg := webRegistrableASCII(ascii)
	own := false
	for _, d := range domains {
		if reg != "" && strings.ToLower(d.ASCII) == reg {
			own = true
			break
		}
	}
	if !own {
		names := make([]string, 0, len(domains))
		for _, d := range domains {
			if d.Unicode == "" {
				d.Unicode = webUnicode(d.ASCII)
			}
			names = append(names, d.Unicode)
		}
		webAdd(&ps, "web.homepage_not_own_domain", "",
			"host", webUnicode(ascii), "domains", strings.Join(names, ", "))
	}
	if requireWWW && !strings.HasPrefix(ascii, "www.") {
		suggest := reg
		if !own && len(domains) > 0 {
			suggest = domains[0].ASCII
		}
		if suggest == "" {
			suggest = "example.com"
		}
		webAdd(&ps, "web.homepage_not_www", "", "suggest", "www."+webUnicode(suggest))
	}
	return ps
}

// webPathOK reports whether a homepage path ("" or "/…") holds only
// printable characters and no backslash.
func webPathOK(path string) bool {
	if path == "" {
		return true
	}
	if path[0] != '/' {
		return false
	}
	for _, r := range path {
		if r == '\\' || r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
