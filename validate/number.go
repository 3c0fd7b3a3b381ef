package validate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// Limits of filing numbers (Rule NUM-1).
const (
	NumYearMin = 2000   // first year of a 10-digit serial
	NumYearMax = 2100   // last plausible year of a 10-digit serial
	NumSeqMax  = 999999 // last sequence of a year's 6-digit part
	NumSiteMax = 9999   // last website suffix
)

// numRe is the loose shape of a normalised filing number; the parts are
// checked one by one so that every problem is reported.
var numRe = regexp.MustCompile(`^(.)ICP([备证])([0-9]+)号(?:-([0-9]+))?$`)

// FilingNumber is a parsed ICP filing number (Rule NUM-1): a subject number
// 京ICP备2026001234号, a website number 京ICP备2026001234号-3, or a commercial
// licence number 京ICP证030173号.
type FilingNumber struct {
	Abbr    string // province abbreviation, e.g. "京"
	Licence bool   // ICP证 (commercial licence) rather than ICP备
	Serial  string // 6, 8 or 10 digits (a licence: 6)
	Site    int    // website suffix n >= 1; 0 for the subject number
}

// String returns the canonical form, e.g. 京ICP备2026001234号-3.
func (n FilingNumber) String() string {
	kind := "备"
	if n.Licence {
		kind = "证"
	}
	s := n.Abbr + "ICP" + kind + n.Serial + "号"
	if n.Site > 0 {
		s += "-" + strconv.Itoa(n.Site)
	}
	return s
}

// SubjectNumber returns the number without its website suffix.
func (n FilingNumber) SubjectNumber() FilingNumber {
	n.Site = 0
	return n
}

// Website returns the number of the subject's site-th website (site >= 1).
func (n FilingNumber) Website(site int) FilingNumber {
	n.Site = site
	return n
}

// NewSubjectNumber returns a new subject number with a 10-digit serial: the
// 4-digit year, then the 6-digit zero-padded sequence of that province and
// year (Rule NUM-1). It panics when year is outside NumYearMin..NumYearMax or
// seq outside 1..NumSeqMax: the number allocator never produces such values.
func NewSubjectNumber(abbr string, year, seq int) FilingNumber {
	if year < NumYearMin || year > NumYearMax || seq < 1 || seq > NumSeqMax {
		panic(fmt.Sprintf("validate: NewSubjectNumber(%q, %d, %d): year or sequence out of range", abbr, year, seq))
	}
	return FilingNumber{Abbr: abbr, Serial: fmt.Sprintf("%04d%06d", year, seq)}
}

// numNormalize trims the number, folds full-width forms (digits, letters,
// hyphen) to ASCII, treats the usual dash look-alikes as '-' and upper-cases
// the letters.
func numNormalize(s string) string {
	s = strings.TrimSpace(webFold(s))
	s = strings.Map(func(r rune) rune {
		switch r {
		case '‐', '‑', '‒', '–', '—', '−', '﹣':
			return '-'
		}
		return r
	}, s)
	return strings.ToUpper(s)
}

// ParseFilingNumber parses a subject, website or licence number (Rule NUM-1).
// Surrounding spaces and full-width digits, letters and hyphens are accepted.
// The abbreviation must be one of the 31 provinces' (ref.ProvinceByAbbr:
// 蜀 黔 滇, not 川 贵 云); an ICP备 serial has 6, 8 or 10 digits, and a
// 10-digit serial starts with a year from NumYearMin to NumYearMax; an ICP证
// serial has 6 digits. A website suffix "-n" (1..NumSiteMax, no leading zero)
// is accepted on both kinds: licence holders' websites are numbered the same
// way. Every problem is reported, at field "".
func ParseFilingNumber(ref *refdata.Data, s string) (FilingNumber, beian.Problems) {
	var ps beian.Problems
	s = numNormalize(s)
	if s == "" {
		webAdd(&ps, "num.required", "")
		return FilingNumber{}, ps
	}
	m := numRe.FindStringSubmatch(s)
	if m == nil {
		webAdd(&ps, "num.invalid", "")
		return FilingNumber{}, ps
	}
	n := FilingNumber{Abbr: m[1], Licence: m[2] == "证", Serial: m[3]}
	if _, ok := ref.ProvinceByAbbr(n.Abbr); !ok {
		webAdd(&ps, "num.province_unknown", "", "abbr", n.Abbr)
	}
	switch len(n.Serial) {
	case 6:
	case 8, 10:
		if n.Licence {
			webAdd(&ps, "num.licence_serial_length", "")
		} else if len(n.Serial) == 10 {
			year, _ := strconv.Atoi(n.Serial[:4])
			if year < NumYearMin || year > NumYearMax {
				webAdd(&ps, "num.serial_year", "", "year", n.Serial[:4],
					"min", strconv.Itoa(NumYearMin), "max", strconv.Itoa(NumYearMax))
			}
		}
	default:
		if n.Licence {
			webAdd(&ps, "num.licence_serial_length", "")
		} else {
			webAdd(&ps, "num.serial_length", "", "length", strconv.Itoa(len(n.Serial)))
		}
	}
	if site := m[4]; site != "" {
		v, err := strconv.Atoi(site)
		if err != nil || site[0] == '0' || v < 1 || v > NumSiteMax {
			webAdd(&ps, "num.site_invalid", "", "max", strconv.Itoa(NumSiteMax))
		} else {
			n.Site = v
		}
	}
	if len(ps) > 0 {
		return FilingNumber{}, ps
	}
	return n, nil
}
