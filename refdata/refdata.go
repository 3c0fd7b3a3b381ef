// Package refdata holds the reference data the rules read: provinces and their
// filing-number abbreviations, the cities where commercial filings are offered,
// subject natures and certificate types, the approved top-level domains,
// website-name word lists, pre-approval categories and service contents, and
// the versioned per-province requirements. Every file is embedded JSON with
// its source and effective date (Rule SUBJ-4: requirements are data, never code).
package refdata

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/idna"
)

//go:embed data/*.json
var embedded embed.FS

// Source says where a file's data comes from and from when it applies.
type Source struct {
	Source    string `json:"source"`
	Effective string `json:"effective"`
}

// Province is a provincial-level division (Rule SUBJ-4).
type Province struct {
	Code     string `json:"code"`      // GB/T 2260, e.g. "330000"
	Name     string `json:"name"`      // short zh-CN name, e.g. "浙江"
	FullName string `json:"full_name"` // e.g. "浙江省"
	NameEn   string `json:"name_en"`
	Abbr     string `json:"abbr"` // filing-number abbreviation, e.g. "浙"
}

// CommercialCity is a place where commercial filings are offered (Rule TYPE-2).
type CommercialCity struct {
	Code   string `json:"code"`
	Match  string `json:"match"` // "province": any code in the province; "city": the city and its districts
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Nature is a subject nature and the certificate types it accepts.
type Nature struct {
	Code         string   `json:"code"`
	Name         string   `json:"name"`
	NameEn       string   `json:"name_en"`
	Certificates []string `json:"certificates"`
	StateBody    bool     `json:"state_body"` // may use the reserved name prefixes (Rule WEB-2)
}

// Named is a coded entry with zh-CN and en names.
type Named struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
	Format string `json:"format,omitempty"`
}

// TLD is an approved top-level domain (Rule WEB-4).
type TLD struct {
	ASCII   string // punycode form, e.g. "xn--fiqs8s"
	Unicode string // e.g. "中国"
}

// Requirements are one province's filing requirements in force on a date
// (Rule SUBJ-4). Every field is data; Source and Effective say where the
// newest version applied came from.
type Requirements struct {
	Province                    string `json:"-"`
	Effective                   string `json:"-"`
	Source                      string `json:"-"`
	BureauReviewBusinessDays    int    `json:"bureau_review_business_days"`    // Rule REV-2
	LegalRepMustBeResponsible   bool   `json:"legal_rep_must_be_responsible"`  // organisations
	ResidencePermitForNonlocal  bool   `json:"residence_permit_for_nonlocal"`  // individuals from elsewhere
	LandlineRequired            bool   `json:"landline_required"`              // organisations
	CommitmentLetterRequired    bool   `json:"commitment_letter_required"`     // 承诺书
	MinorAge                    int    `json:"minor_age"`                      // Rule SUBJ-2
	MinorSupplement             string `json:"minor_supplement"`               // material a reviewer may ask of a minor
	MaxDomainsPerOrder          int    `json:"max_domains_per_order"`          // across all websites of one order
	DomainMinRemainingDays      int    `json:"domain_min_remaining_days"`      // Rule WEB-6
	OnlinePasswordRetrievalOnly bool   `json:"online_password_retrieval_only"` // Rule PWD-4
	AppVerification             bool   `json:"app_verification"`               // Rule VER-2
}

type requirementVersion struct {
	Province  string          `json:"province"`
	Effective string          `json:"effective"`
	Source    string          `json:"source"`
	Set       json.RawMessage `json:"set"`
	eff       time.Time
}

// Data is one loaded set of reference data.
type Data struct {
	Files map[string]Source // file name → its source and effective date

	provinces        []Province
	provinceByKey    map[string]Province
	commercial       []CommercialCity
	natures          []Nature
	natureByCode     map[string]Nature
	certTypes        []Named
	certByCode       map[string]Named
	personCerts      map[string]bool
	tlds             []TLD
	tldByASCII       map[string]TLD
	reservedPrefixes []string
	personalWords    []string
	preapprovals     []Named
	serviceContents  []Named
	hospitalWords    []string
	reqDefaults      json.RawMessage
	reqDefaultSource Source
	reqVersions      map[string][]requirementVersion // by province code, oldest first
}

var (
	defaultOnce sync.Once
	defaultData *Data
	defaultErr  error
)

// Default returns the embedded reference data. It panics if the embedded
// files are broken, which a test in this package rules out.
func Default() *Data {
	defaultOnce.Do(func() { defaultData, defaultErr = Load(embedded) })
	if defaultErr != nil {
		panic("refdata: embedded data: " + defaultErr.Error())
	}
	return defaultData
}

// Load reads a data/ folder with the files of this package from fsys.
func Load(fsys fs.FS) (*Data, error) {
	d := &Data{Files: map[string]Source{}}
	var provinces struct {
		Source
		Provinces []Province `json:"provinces"`
	}
	var cities struct {
		Source
		Cities []CommercialCity `json:"cities"`
	}
	var natures struct {
		Source
		Natures     []Nature `json:"natures"`
		PersonCerts []string `json:"person_certificates"`
		CertTypes   []Named  `json:"certificate_types"`
	}
	var tlds struct {
		Source
		TLDs []string `json:"tlds"`
	}
	var words struct {
		Source
		Reserved []string `json:"reserved_prefixes"`
		Personal []string `json:"personal_forbidden"`
	}
	var pre struct {
		Source
		Categories      []Named  `json:"categories"`
		ServiceContents []Named  `json:"service_contents"`
		HospitalWords   []string `json:"hospital_words"`
	}
	var reqs struct {
		Source
		Defaults json.RawMessage      `json:"defaults"`
		Versions []requirementVersion `json:"versions"`
	}
	files := []struct {
		name string
		v    any
		src  *Source
	}{
		{"provinces.json", &provinces, &provinces.Source},
		{"commercial_cities.json", &cities, &cities.Source},
		{"natures.json", &natures, &natures.Source},
		{"tlds.json", &tlds, &tlds.Source},
		{"name_words.json", &words, &words.Source},
		{"preapprovals.json", &pre, &pre.Source},
		{"province_requirements.json", &reqs, &reqs.Source},
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, "data/"+f.name)
		if err != nil {
			return nil, fmt.Errorf("refdata: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(f.v); err != nil {
			return nil, fmt.Errorf("refdata: %s: %w", f.name, err)
		}
		if f.src.Source == "" || f.src.Effective == "" {
			return nil, fmt.Errorf("refdata: %s: source and effective date are required", f.name)
		}
		if _, err := time.Parse(time.DateOnly, f.src.Effective); err != nil {
			return nil, fmt.Errorf("refdata: %s: effective: %w", f.name, err)
		}
		d.Files[f.name] = *f.src
	}

	d.provinces = provinces.Provinces
	d.provinceByKey = map[string]Province{}
	for _, p := range d.provinces {
		if len(p.Code) != 6 || !strings.HasSuffix(p.Code, "0000") || p.Abbr == "" || p.Name == "" {
			return nil, fmt.Errorf("refdata: provinces.json: bad entry %q", p.Code)
		}
		for _, k := range []string{p.Code, p.Name, p.FullName, p.Abbr, strings.ToLower(p.NameEn)} {
			if _, dup := d.provinceByKey[k]; dup {
				return nil, fmt.Errorf("refdata: provinces.json: duplicate key %q", k)
			}
			d.provinceByKey[k] = p
		}
	}
	d.commercial = cities.Cities
	for _, c := range d.commercial {
		if c.Match != "province" && c.Match != "city" {
			return nil, fmt.Errorf("refdata: commercial_cities.json: %s: match must be province or city", c.Code)
		}
	}

	d.certTypes = natures.CertTypes
	d.certByCode = map[string]Named{}
	for _, c := range d.certTypes {
		d.certByCode[c.Code] = c
	}
	d.natures = natures.Natures
	d.natureByCode = map[string]Nature{}
	for _, n := range d.natures {
		for _, c := range n.Certificates {
			if _, ok := d.certByCode[c]; !ok {
				return nil, fmt.Errorf("refdata: natures.json: %s accepts unknown certificate %q", n.Code, c)
			}
		}
		d.natureByCode[n.Code] = n
	}
	d.personCerts = map[string]bool{}
	for _, c := range natures.PersonCerts {
		if _, ok := d.certByCode[c]; !ok {
			return nil, fmt.Errorf("refdata: natures.json: unknown person certificate %q", c)
		}
		d.personCerts[c] = true
	}

	d.tldByASCII = map[string]TLD{}
	for _, u := range tlds.TLDs {
		a, err := idna.Lookup.ToASCII(u)
		if err != nil || a == "" || strings.Contains(a, ".") {
			return nil, fmt.Errorf("refdata: tlds.json: bad TLD %q", u)
		}
		uni, _ := idna.Lookup.ToUnicode(a)
		t := TLD{ASCII: a, Unicode: uni}
		if _, dup := d.tldByASCII[a]; dup {
			return nil, fmt.Errorf("refdata: tlds.json: duplicate TLD %q", u)
		}
		d.tldByASCII[a] = t
		d.tlds = append(d.tlds, t)
	}

	d.reservedPrefixes = words.Reserved
	d.personalWords = words.Personal
	d.preapprovals = pre.Categories
	d.serviceContents = pre.ServiceContents
	d.hospitalWords = pre.HospitalWords

	d.reqDefaults = reqs.Defaults
	d.reqDefaultSource = reqs.Source
	if _, err := d.decodeRequirements(reqs.Defaults, Requirements{}); err != nil {
		return nil, fmt.Errorf("refdata: province_requirements.json: defaults: %w", err)
	}
	d.reqVersions = map[string][]requirementVersion{}
	for _, v := range reqs.Versions {
		if _, ok := d.provinceByKey[v.Province]; !ok || v.Province != d.provinceByKey[v.Province].Code {
			return nil, fmt.Errorf("refdata: province_requirements.json: unknown province code %q", v.Province)
		}
		eff, err := time.Parse(time.DateOnly, v.Effective)
		if err != nil || v.Source == "" {
			return nil, fmt.Errorf("refdata: province_requirements.json: %s: effective date and source are required", v.Province)
		}
		if _, err := d.decodeRequirements(v.Set, Requirements{}); err != nil {
			return nil, fmt.Errorf("refdata: province_requirements.json: %s %s: %w", v.Province, v.Effective, err)
		}
		v.eff = eff
		d.reqVersions[v.Province] = append(d.reqVersions[v.Province], v)
	}
	for _, vs := range d.reqVersions {
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].eff.Before(vs[j].eff) })
	}
	return d, nil
}

func (d *Data) decodeRequirements(raw json.RawMessage, base Requirements) (Requirements, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	err := dec.Decode(&base)
	return base, err
}
