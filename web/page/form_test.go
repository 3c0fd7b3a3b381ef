package page

import (
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
)

func TestFieldID(t *testing.T) {
	for in, want := range map[string]string{
		"login":                   "f-login",
		"websites[0].homepage":    "f-websites-0-homepage",
		"websites[12].domains[3]": "f-websites-12-domains-3",
		"subject.owner.cert_no":   "f-subject-owner-cert_no",
		"[0]":                     "f-0",
		"":                        "f-",
	} {
		if got := FieldID(in); got != want {
			t.Errorf("FieldID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]bool{
		"/": true, "/console": true, "/console/orders/1?tab=docs#x": true,
		"": false, "//evil.example": false, "/\\evil.example": false, "https://evil.example": false,
		"evil.example": false, "/a\\b": false, "/a\nb": false, "\t/x": false,
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %v, want %v", in, got, want)
		}
	}
}

// The summary lists every problem, linked to its field; a field shows its
// own problems only.
func TestFormProblems(t *testing.T) {
	p, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ps beian.Problems
	ps.Add("web.homepage_not_www", "WEB-1", "websites[0].homepage", "suggest", "www.example.com")
	ps.Add("web.name_required", "WEB-2", "websites[0].name")
	ps.Add("type.commercial_not_offered", "TYPE-2", "", "places", "浙江")
	f := &Form{Values: map[string]string{"websites[0].homepage": "example.com"}, Err: ps.Err()}
	s := f.summary(i18n.EN)
	if s == nil || len(s.Items) != 3 || s.Items[0].Href != "#f-websites-0-homepage" || s.Items[2].Href != "" ||
		s.Message != i18n.Default().Message(i18n.EN, "error.invalid", nil) {
		t.Fatalf("summary %+v", s)
	}
	fd, err := p.field(i18n.EN, f, "websites[0].homepage", "text", "field.login", []string{"hint", "field.login_hint"})
	if err != nil {
		t.Fatal(err)
	}
	want := i18n.Default().Message(i18n.EN, "web.homepage_not_www", map[string]string{"suggest": "www.example.com"})
	if fd.Error != want || fd.Value != "example.com" || fd.DescribedBy() != "f-websites-0-homepage-hint f-websites-0-homepage-error" {
		t.Errorf("field %+v", fd)
	}
	if _, err := p.field(i18n.EN, f, "x", "text", "no.such.label", nil); err == nil {
		t.Error("unknown label accepted")
	}
	if (&Form{}).summary(i18n.ZH) != nil {
		t.Error("summary without an error")
	}
}
