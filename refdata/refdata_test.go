package refdata

import (
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/beian/beian"
)

func TestEmbeddedLoads(t *testing.T) {
	d := Default()
	for _, name := range []string{"provinces.json", "commercial_cities.json", "natures.json", "tlds.json", "name_words.json", "preapprovals.json", "province_requirements.json"} {
		src, ok := d.Files[name]
		if !ok || src.Source == "" || src.Effective == "" {
			t.Errorf("%s: missing source or effective date: %+v", name, src)
		}
	}
}

// Rule SUBJ-4: 31 provinces with their filing abbreviations.
func TestProvinces(t *testing.T) {
	d := Default()
	if n := len(d.Provinces()); n != 31 {
		t.Fatalf("got %d provinces, want 31", n)
	}
	abbrs := map[string]bool{}
	for _, p := range d.Provinces() {
		if abbrs[p.Abbr] {
			t.Errorf("duplicate abbreviation %s", p.Abbr)
		}
		abbrs[p.Abbr] = true
	}
	for _, tc := range []struct{ key, code, abbr string }{
		{"510000", "510000", "蜀"}, {"四川", "510000", "蜀"}, {"贵州省", "520000", "黔"},
		{"滇", "530000", "滇"}, {"浙", "330000", "浙"}, {"Zhejiang", "330000", "浙"},
		{"广东", "440000", "粤"}, {"内蒙古自治区", "150000", "蒙"},
	} {
		p, ok := d.Province(tc.key)
		if !ok || p.Code != tc.code || p.Abbr != tc.abbr {
			t.Errorf("Province(%q) = %+v, %v; want %s %s", tc.key, p, ok, tc.code, tc.abbr)
		}
	}
	if _, ok := d.Province("台湾"); ok {
		t.Error("Province(台湾) found; the 31 divisions exclude it")
	}
	if p, ok := d.ProvinceOfCode("330106"); !ok || p.Abbr != "浙" {
		t.Errorf("ProvinceOfCode(330106) = %+v %v", p, ok)
	}
	if _, ok := d.ProvinceByAbbr("浙江"); ok {
		t.Error("ProvinceByAbbr accepted a name")
	}
}

// Rule TYPE-2.
func TestCommercialAllowed(t *testing.T) {
	d := Default()
	for code, want := range map[string]bool{
		"110105": true, "120101": true, "310115": true, "500103": true, "500229": true,
		"440106": true, "440305": true, "510104": true,
		"440400": false, "330106": false, "510700": false, "": false, "44": false,
	} {
		if got := d.CommercialAllowed(code); got != want {
			t.Errorf("CommercialAllowed(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestNatures(t *testing.T) {
	d := Default()
	if !d.NatureAccepts("individual", "resident_id") || d.NatureAccepts("individual", "uscc") || !d.NatureAccepts("enterprise", "uscc") {
		t.Error("nature/certificate table wrong")
	}
	if d.NatureAccepts("nope", "uscc") {
		t.Error("unknown nature accepted")
	}
	want := []string{"enterprise", "individual", "government", "institution", "social_organization", "military", "other"}
	for _, n := range want {
		if _, ok := d.Nature(n); !ok {
			t.Errorf("nature %s missing", n)
		}
	}
	for _, c := range []string{"resident_id", "uscc", "business_license", "org_code", "passport", "hk_macao_permit", "taiwan_permit", "foreign_pr_id", "institution_cert", "social_org_cert"} {
		if _, ok := d.CertificateType(c); !ok {
			t.Errorf("certificate type %s missing", c)
		}
	}
	if !d.PersonCertificate("passport") || d.PersonCertificate("uscc") {
		t.Error("person certificates wrong")
	}
}

// Rule WEB-4: dozens of approved TLDs, each an ICANN public suffix.
func TestTLDs(t *testing.T) {
	d := Default()
	if n := len(d.TLDs()); n < 40 {
		t.Fatalf("only %d approved TLDs", n)
	}
	for _, tld := range d.TLDs() {
		if ps, icann := publicsuffix.PublicSuffix("example." + tld.ASCII); ps != tld.ASCII || !icann {
			t.Errorf("TLD %s (%s) is not an ICANN public suffix (got %q, %v)", tld.Unicode, tld.ASCII, ps, icann)
		}
	}
	for _, a := range []string{"cn", "xn--fiqs8s", "com", "xn--55qx5d", "xn--io0a7i", "top", "xyz"} {
		if !d.ApprovedTLD(a) {
			t.Errorf("%s not approved", a)
		}
	}
	for _, a := range []string{"io", "me", "ai", "", "CN"} {
		if d.ApprovedTLD(a) {
			t.Errorf("%q approved", a)
		}
	}
}

// Rule REV-2, PWD-4, VER-2, SUBJ-4: requirements are versioned data.
func TestRequirements(t *testing.T) {
	d := Default()
	on := time.Date(2026, 11, 29, 12, 0, 0, 0, beian.CST)
	zj, err := d.Requirements("浙江", on)
	if err != nil || zj.BureauReviewBusinessDays != 30 || zj.Source == "" {
		t.Errorf("浙江: %+v %v", zj, err)
	}
	bj, _ := d.Requirements("110000", on)
	if bj.BureauReviewBusinessDays != 20 || bj.MinorAge != 18 {
		t.Errorf("北京: %+v", bj)
	}
	gd, _ := d.Requirements("粤", on)
	if !gd.OnlinePasswordRetrievalOnly {
		t.Error("广东 should accept online password retrieval only (PWD-4)")
	}
	sh, _ := d.Requirements("上海", on)
	if !sh.AppVerification {
		t.Error("上海 should offer app verification (VER-2)")
	}
	if _, err := d.Requirements("nowhere", on); err == nil {
		t.Error("unknown province accepted")
	}
}

func TestRequirementVersionsApplyByDate(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, name := range []string{"provinces.json", "commercial_cities.json", "natures.json", "tlds.json", "name_words.json", "preapprovals.json"} {
		b, _ := embedded.ReadFile("data/" + name)
		fsys["data/"+name] = &fstest.MapFile{Data: b}
	}
	fsys["data/province_requirements.json"] = &fstest.MapFile{Data: []byte(`{"source":"test","effective":"2020-01-01",
	 "defaults":{"bureau_review_business_days":20,"minor_age":18},
	 "versions":[
	  {"province":"330000","effective":"2027-03-01","source":"new notice","set":{"bureau_review_business_days":15}},
	  {"province":"330000","effective":"2024-01-01","source":"old notice","set":{"bureau_review_business_days":30,"landline_required":true}}]}`)}
	d, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := d.Requirements("330000", time.Date(2027, 2, 28, 23, 0, 0, 0, beian.CST))
	after, _ := d.Requirements("330000", time.Date(2027, 3, 1, 0, 30, 0, 0, beian.CST))
	// 2027-02-28T16:30Z is already 2027-03-01 in CST (CAL-0).
	utcLate, _ := d.Requirements("330000", time.Date(2027, 2, 28, 16, 30, 0, 0, time.UTC))
	if before.BureauReviewBusinessDays != 30 || before.Source != "old notice" || !before.LandlineRequired {
		t.Errorf("before: %+v", before)
	}
	if after.BureauReviewBusinessDays != 15 || after.Source != "new notice" || !after.LandlineRequired {
		t.Errorf("after: %+v", after)
	}
	if utcLate.BureauReviewBusinessDays != 15 {
		t.Errorf("CST date not used: %+v", utcLate)
	}
}

func TestLoadRejectsBrokenData(t *testing.T) {
	base := fstest.MapFS{}
	for _, name := range []string{"provinces.json", "commercial_cities.json", "natures.json", "tlds.json", "name_words.json", "preapprovals.json", "province_requirements.json"} {
		b, _ := embedded.ReadFile("data/" + name)
		base["data/"+name] = &fstest.MapFile{Data: b}
	}
	for name, content := range map[string]string{
		"tlds.json":                  `{"source":"x","effective":"2024-01-01","tlds":["com","com"]}`,
		"province_requirements.json": `{"source":"x","effective":"2024-01-01","defaults":{"bureau_review_days":20},"versions":[]}`,
		"natures.json":               `{"source":"","effective":"2024-01-01","natures":[]}`,
		"commercial_cities.json":     `{"source":"x","effective":"2024-01-01","cities":[{"code":"110000","match":"town"}]}`,
	} {
		fsys := fstest.MapFS{}
		for k, v := range base {
			fsys[k] = v
		}
		fsys["data/"+name] = &fstest.MapFile{Data: []byte(content)}
		if _, err := Load(fsys); err == nil {
			t.Errorf("broken %s accepted", name)
		}
	}
}
