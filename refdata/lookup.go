package refdata

import (
	"fmt"

	"github.com/beian/beian"
	"strings"
	"time"
)

// Provinces returns the 31 provincial divisions in code order.
func (d *Data) Provinces() []Province { return append([]Province(nil), d.provinces...) }

// Province finds a province by GB/T 2260 code ("330000"), short or full name
// ("浙江", "浙江省"), filing abbreviation ("浙") or English name ("zhejiang").
func (d *Data) Province(key string) (Province, bool) {
	key = strings.TrimSpace(key)
	p, ok := d.provinceByKey[key]
	if !ok {
		p, ok = d.provinceByKey[strings.ToLower(key)]
	}
	return p, ok
}

// ProvinceOfCode returns the province that a six-digit GB/T 2260 code (a
// province, city or district) belongs to.
func (d *Data) ProvinceOfCode(code string) (Province, bool) {
	if len(code) != 6 {
		return Province{}, false
	}
	p, ok := d.provinceByKey[code[:2]+"0000"]
	return p, ok
}

// ProvinceByAbbr finds a province by its filing-number abbreviation.
func (d *Data) ProvinceByAbbr(abbr string) (Province, bool) {
	p, ok := d.provinceByKey[abbr]
	if ok && p.Abbr != abbr {
		return Province{}, false
	}
	return p, ok
}

// CommercialCities lists the places where commercial filings are offered (Rule TYPE-2).
func (d *Data) CommercialCities() []CommercialCity {
	return append([]CommercialCity(nil), d.commercial...)
}

// CommercialAllowed reports whether a subject located at the GB/T 2260 city
// or district code may file a commercial filing (Rule TYPE-2).
func (d *Data) CommercialAllowed(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, c := range d.commercial {
		switch c.Match {
		case "province":
			if code[:2] == c.Code[:2] {
				return true
			}
		case "city":
			if code[:4] == c.Code[:4] {
				return true
			}
		}
	}
	return false
}

// Natures lists the subject natures.
func (d *Data) Natures() []Nature { return append([]Nature(nil), d.natures...) }

// Nature finds a nature by its wire code.
func (d *Data) Nature(code string) (Nature, bool) {
	n, ok := d.natureByCode[code]
	return n, ok
}

// NatureAccepts reports whether a subject of the nature may use the certificate type.
func (d *Data) NatureAccepts(nature, cert string) bool {
	n, ok := d.natureByCode[nature]
	if !ok {
		return false
	}
	for _, c := range n.Certificates {
		if c == cert {
			return true
		}
	}
	return false
}

// CertificateTypes lists the certificate types.
func (d *Data) CertificateTypes() []Named { return append([]Named(nil), d.certTypes...) }

// CertificateType finds a certificate type by its wire code.
func (d *Data) CertificateType(code string) (Named, bool) {
	c, ok := d.certByCode[code]
	return c, ok
}

// PersonCertificate reports whether a responsible person may identify with the type.
func (d *Data) PersonCertificate(code string) bool { return d.personCerts[code] }

// TLDs lists the approved top-level domains (Rule WEB-4).
func (d *Data) TLDs() []TLD { return append([]TLD(nil), d.tlds...) }

// ApprovedTLD reports whether the top-level domain, in ASCII (punycode) form
// and lower case, is approved (Rule WEB-4).
func (d *Data) ApprovedTLD(ascii string) bool {
	_, ok := d.tldByASCII[ascii]
	return ok
}

// ReservedPrefixes are the website-name prefixes only state bodies may use (Rule WEB-2).
func (d *Data) ReservedPrefixes() []string { return append([]string(nil), d.reservedPrefixes...) }

// PersonalForbiddenWords are words a personal filing's name and content may
// not use, as they present an organisation or a business (Rule WEB-2).
func (d *Data) PersonalForbiddenWords() []string { return append([]string(nil), d.personalWords...) }

// PreApprovals lists the pre-approval (前置审批) categories (Rule WEB-2).
func (d *Data) PreApprovals() []Named { return append([]Named(nil), d.preapprovals...) }

// PreApproval finds a pre-approval category by code.
func (d *Data) PreApproval(code string) (Named, bool) { return find(d.preapprovals, code) }

// ServiceContents lists the website service-content types (Rule WEB-3: "other" needs a remark).
func (d *Data) ServiceContents() []Named { return append([]Named(nil), d.serviceContents...) }

// ServiceContent finds a service-content type by code.
func (d *Data) ServiceContent(code string) (Named, bool) { return find(d.serviceContents, code) }

// HospitalWords are words that mark a hospital's website, whose remark must
// state its medical licence (Rule WEB-3).
func (d *Data) HospitalWords() []string { return append([]string(nil), d.hospitalWords...) }

func find(list []Named, code string) (Named, bool) {
	for _, n := range list {
		if n.Code == code {
			return n, true
		}
	}
	return Named{}, false
}

// Requirements returns the requirements of the province (any key Province
// accepts) in force on the date: the defaults, overlaid by every version of
// that province effective on or before the date, oldest first (Rule SUBJ-4).
func (d *Data) Requirements(province string, on time.Time) (Requirements, error) {
	p, ok := d.Province(province)
	if !ok {
		return Requirements{}, fmt.Errorf("refdata: unknown province %q", province)
	}
	r, err := d.decodeRequirements(d.reqDefaults, Requirements{})
	if err != nil {
		return Requirements{}, err
	}
	r.Province, r.Effective, r.Source = p.Code, d.reqDefaultSource.Effective, d.reqDefaultSource.Source
	on = on.In(beian.CST) // Rule CAL-0
	day := time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
	for _, v := range d.reqVersions[p.Code] {
		if v.eff.After(day) {
			break
		}
		if r, err = d.decodeRequirements(v.Set, r); err != nil {
			return Requirements{}, err
		}
		r.Effective, r.Source = v.Effective, v.Source
	}
	return r, nil
}
