package validate

import (
	"testing"
)

func TestHomepage(t *testing.T) { // Rule WEB-1
	domains := []Domain{
		{ASCII: "example.com", Unicode: "example.com"},
		{ASCII: "xn--fsqu00a.xn--fiqs8s", Unicode: "例子.中国"},
	}
	tests := []struct {
		name  string
		in    string
		www   bool
		codes []string
	}{
		{name: "OK", in: "www.example.com", www: true},
		{name: "OKPath", in: "www.example.com/index.html", www: true},
		{name: "OKDeepPath", in: "www.example.com/zh/首页/", www: true},
		{name: "OKSpacesAround", in: "  www.example.com  ", www: true},
		{name: "OKUpperCaseTrailingDot", in: "WWW.EXAMPLE.COM./About", www: true},
		{name: "OKIDN", in: "www.例子.中国", www: true},
		{name: "OKIDNPunycode", in: "www.xn--fsqu00a.xn--fiqs8s", www: true},
		{name: "OKFullWidthDots", in: "www。例子。中国/", www: true},
		{name: "OKBareDomainWWWOff", in: "example.com", www: false},
		{name: "OKOtherSubdomainWWWOff", in: "blog.example.com/posts", www: false},
		{name: "ErrRequired", in: " ", www: true, codes: []string{"web.homepage_required"}},
		{name: "ErrHomepageNotWWW", in: "example.com", www: true, codes: []string{"web.homepage_not_www"}},
		{name: "ErrHomepageNotWWWSubdomain", in: "blog.example.com", www: true, codes: []string{"web.homepage_not_www"}},
		{name: "ErrSchemeHTTP", in: "http://www.example.com", www: true, codes: []string{"web.homepage_scheme"}},
		{name: "ErrSchemeHTTPS", in: "HTTPS://www.example.com/", www: true, codes: []string{"web.homepage_scheme"}},
		{name: "ErrSchemeOther", in: "ftp://www.example.com", www: true, codes: []string{"web.homepage_scheme"}},
		{name: "ErrSchemeRelative", in: "//www.example.com", www: true, codes: []string{"web.homepage_scheme"}},
		{name: "ErrPort", in: "www.example.com:8080/index.html", www: true, codes: []string{"web.homepage_port"}},
		{name: "ErrQuery", in: "www.example.com/?id=1", www: true, codes: []string{"web.homepage_query"}},
		{name: "ErrFragment", in: "www.example.com#top", www: true, codes: []string{"web.homepage_query"}},
		{name: "ErrSpace", in: "www.example.com/my page", www: true, codes: []string{"web.homepage_space"}},
		{name: "ErrForeignHost", in: "www.other.com", www: true, codes: []string{"web.homepage_not_own_domain"}},
		{name: "ErrForeignHostWWWOff", in: "other.cn", www: false, codes: []string{"web.homepage_not_own_domain"}},
		{name: "ErrLookalikeHost", in: "www.myexample.com", www: true, codes: []string{"web.homepage_not_own_domain"}},
		{name: "ErrSuffixHost", in: "www.com", www: true, codes: []string{"web.homepage_not_own_domain"}},
		{name: "ErrForeignAndNotWWW", in: "other.cn", www: true, codes: []string{"web.homepage_not_own_domain", "web.homepage_not_www"}},
		{name: "ErrIP", in: "203.0.113.7/index.html", www: true, codes: []string{"web.homepage_ip"}},
		{name: "ErrIPv6", in: "[2001:db8::1]:80", www: true, codes: []string{"web.homepage_ip"}},
		{name: "ErrInvalidHost", in: "www.exa_mple.com", www: true, codes: []string{"web.homepage_invalid"}},
		{name: "ErrInvalidUserinfo", in: "user@www.example.com", www: true, codes: []string{"web.homepage_invalid"}},
		{name: "ErrInvalidPort", in: "www.example.com:http", www: true, codes: []string{"web.homepage_invalid"}},
		{name: "ErrInvalidNoHost", in: "/index.html", www: true, codes: []string{"web.homepage_invalid"}},
		{name: "ErrPathInvalid", in: "www.example.com\\index.html", www: true, codes: []string{"web.homepage_path_invalid"}},
		{name: "ErrEverything", in: "https://example.org:443/a b?x=1", www: true, codes: []string{
			"web.homepage_scheme", "web.homepage_space", "web.homepage_query", "web.homepage_port",
			"web.homepage_not_own_domain", "web.homepage_not_www"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Homepage(tt.in, domains, tt.www)
			webWantCodes(t, ps, tt.codes...)
			for _, p := range ps {
				if p.Field != "" {
					t.Errorf("%s: field %q, want \"\"", p.Code, p.Field)
				}
			}
		})
	}
}

func TestHomepageArgs(t *testing.T) { // Rule WEB-1
	domains := []Domain{{ASCII: "xn--fsqu00a.xn--fiqs8s", Unicode: "例子.中国"}}
	ps := Homepage("例子.中国", domains, true)
	if got := webProblem(t, ps, "web.homepage_not_www").Args["suggest"]; got != "www.例子.中国" {
		t.Errorf("suggest = %q", got)
	}
	ps = Homepage("www.other.com", domains, true)
	p := webProblem(t, ps, "web.homepage_not_own_domain")
	if p.Args["host"] != "www.other.com" || p.Args["domains"] != "例子.中国" {
		t.Errorf("args = %v", p.Args)
	}
	if ps := Homepage("www.example.com", nil, false); !ps.Has("web.homepage_not_own_domain") {
		t.Errorf("no domains: %v", ps)
	}
	// Domains given in ASCII only are matched and displayed.
	if ps := Homepage("www.例子.中国", []Domain{{ASCII: "xn--fsqu00a.xn--fiqs8s"}}, true); len(ps) > 0 {
		t.Errorf("ASCII-only domain: %v", ps)
	}
}
