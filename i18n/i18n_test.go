package i18n

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/workflow"
)

// Every code a validator can produce, and every error kind, has a message in
// every language (the edge must never show a bare code).
func TestCatalogueCoversEveryCode(t *testing.T) {
	c := Default()
	var codes []string
	for _, m := range []map[string]string{validate.Codes(), workflow.Codes(), providerdb.Codes()} {
		for code := range m {
			codes = append(codes, code)
		}
	}
	for _, k := range beian.Kinds {
		codes = append(codes, KindCode(k))
	}
	sort.Strings(codes)
	for _, lang := range Langs {
		for _, code := range codes {
			if !c.Has(lang, code) {
				t.Errorf("%s: no message for %s", lang, code)
			}
		}
	}
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// The languages hold the same codes with the same placeholders, and every
// zh-CN message tells the user what to do (请 / 可 / 需 …).
func TestCataloguesAgree(t *testing.T) {
	c := Default()
	zh, en := c.Codes(ZH), c.Codes(EN)
	if strings.Join(zh, ",") != strings.Join(en, ",") {
		t.Errorf("zh-CN and en hold different codes:\nzh-CN only: %v\nen only: %v", minus(zh, en), minus(en, zh))
	}
	for _, code := range zh {
		z, e := c.Message(ZH, code, nil), c.Message(EN, code, nil)
		if got, want := placeholders(e), placeholders(z); got != want {
			t.Errorf("%s: placeholders differ: zh-CN %s, en %s", code, want, got)
		}
		if !strings.ContainsAny(z, "请可需应") {
			t.Errorf("%s: zh-CN message does not say what to do next: %q", code, z)
		}
		if strings.Count(strings.TrimSpace(e), ".")+strings.Count(e, ";") < 1 {
			t.Errorf("%s: en message is not a sentence: %q", code, e)
		}
	}
}

func placeholders(s string) string {
	m := placeholder.FindAllString(s, -1)
	sort.Strings(m)
	return strings.Join(m, ",")
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func TestMessageArgsAndFallback(t *testing.T) {
	c, err := Load(fstest.MapFS{
		"zh-CN/a.json": {Data: []byte(`{"x.max":"最多 {max} 个，请删减。","x.zh_only":"仅中文。请看。"}`)},
		"en/a.json":    {Data: []byte(`{"x.max":"At most {max}; remove some."}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Message(EN, "x.max", map[string]string{"max": "10"}); got != "At most 10; remove some." {
		t.Errorf("got %q", got)
	}
	if got := c.Message(EN, "x.zh_only", nil); got != "仅中文。请看。" {
		t.Errorf("fallback to zh-CN: got %q", got)
	}
	if got := c.Message(EN, "x.unknown", nil); got != "x.unknown" {
		t.Errorf("unknown code: got %q", got)
	}
	if _, err := Load(fstest.MapFS{
		"zh-CN/a.json": {Data: []byte(`{"x":"1"}`)},
		"zh-CN/b.json": {Data: []byte(`{"x":"2"}`)},
	}); err == nil {
		t.Error("duplicate code accepted")
	}
}

func TestNegotiate(t *testing.T) {
	for header, want := range map[string]Lang{
		"":                             ZH,
		"en":                           EN,
		"en-US,en;q=0.9":               EN,
		"zh-CN,zh;q=0.9,en;q=0.8":      ZH,
		"fr-FR, en;q=0.5":              EN,
		"de":                           ZH,
		"en;q=0.2, zh-Hans;q=0.8":      ZH,
		"en;q=0, zh;q=0":               ZH,
		"en;q=abc":                     ZH,
		"zh_TW":                        ZH,
		" EN-gb ; q=1 ":                EN,
		"ja, en-GB;q=0.7, zh-CN;q=0.6": EN,
	} {
		if got := Negotiate(header); got != want {
			t.Errorf("Negotiate(%q) = %s, want %s", header, got, want)
		}
	}
}

// The wire shape of API.md: kind code, message, items with code, rule, field
// and message; untyped errors never leak their text.
func TestRender(t *testing.T) {
	c := Default()
	var ps beian.Problems
	ps.Add("web.homepage_not_www", "WEB-1", "websites[0].homepage")
	body := c.Render(EN, fmt.Errorf("save: %w", ps.Err()))
	if body.Code != "invalid" || len(body.Errors) != 1 || body.Errors[0].Rule != "WEB-1" ||
		body.Errors[0].Field != "websites[0].homepage" || body.Errors[0].Message == "" ||
		body.Errors[0].Message == "web.homepage_not_www" {
		t.Errorf("got %+v", body)
	}
	secret := errors.New("pq: password=hunter2 id=110105194912310021")
	body = c.Render(ZH, secret)
	if body.Code != "internal" || strings.Contains(body.Message, "hunter2") || body.Errors != nil {
		t.Errorf("internal error leaked: %+v", body)
	}
	body = c.Render(ZH, beian.Errorf(beian.KindNotFound, ""))
	if body.Code != "not_found" || body.Message != c.Message(ZH, "error.not_found", nil) {
		t.Errorf("got %+v", body)
	}
}
