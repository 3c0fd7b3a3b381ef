package validate

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// NormalizeCertificate returns a certificate number as it is stored and
// compared: full-width ASCII (０-９, Ａ-Ｚ, －, the ideographic space) turned to
// half-width, Unicode dashes turned to '-', ASCII letters upper-cased, and
// every space and invisible format character (zero-width space, BOM) dropped,
// at the ends and inside. Other characters are kept, so that the checks can
// reject them. It is idempotent. Every check in this file normalises its
// input first; store the normalised form.
func NormalizeCertificate(number string) string {
	var b strings.Builder
	b.Grow(len(number))
	for _, r := range number {
		r = idHalfWidth(r)
		switch {
		case unicode.IsSpace(r) || unicode.Is(unicode.Cf, r):
			continue
		case 'a' <= r && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// idHalfWidth maps a full-width ASCII variant to ASCII, the ideographic space
// to a space and the Unicode hyphens and dashes to '-'.
func idHalfWidth(r rune) rune {
	switch {
	case 0xFF01 <= r && r <= 0xFF5E:
		return r - 0xFF01 + '!'
	case r == 0x3000:
		return ' '
	case 0x2010 <= r && r <= 0x2015, r == 0x2212, r == 0xFE63:
		return '-'
	}
	return r
}

// idIsDigits reports whether s is non-empty and only ASCII digits.
func idIsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// idIsAlnum reports whether s is non-empty and only ASCII digits and
// upper-case letters (the alphabet of normalised certificate numbers).
func idIsAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return s != ""
}

// ResidentIDInfo is what a valid resident ID number tells about its holder.
type ResidentIDInfo struct {
	Region string    // the six-digit GB/T 2260 code of the place of first registration
	Birth  time.Time // the date of birth, midnight China Standard Time
	Female bool      // the 17th digit is even
}

// ISO 7064 MOD 11-2: weight of position i is 2^(17-i) mod 11; the check
// character is the one that makes the weighted sum ≡ 1 (mod 11).
var idRIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idRIDCheckChars = "10X98765432"

// idMinBirth is the earliest birth date a resident ID may carry.
var idMinBirth = time.Date(1900, 1, 1, 0, 0, 0, 0, beian.CST)

// ResidentIDCheck returns the GB 11643 check character ('0'-'9' or 'X') for
// the first 17 digits of a resident ID number, or 0 when body17 is not 17
// ASCII digits.
func ResidentIDCheck(body17 string) byte {
	if len(body17) != 17 || !idIsDigits(body17) {
		return 0
	}
	sum := 0
	for i := range 17 {
		sum += int(body17[i]-'0') * idRIDWeights[i]
	}
	return idRIDCheckChars[sum%11]
}

// ResidentID checks a mainland resident identity card number (Rule SUBJ-3,
// GB 11643): after NormalizeCertificate, 18 characters, 17 digits and a check
// character ('0'-'9' or 'X'; a lower-case x is accepted); the first two digits
// name one of the 31 provinces; digits 7-14 are a real birth date, not before
// 1900-01-01 and not after the China Standard Time date of today (Rule CAL-0);
// the last character is the ISO 7064 MOD 11-2 check character. Every
// independent problem is reported. The info is filled only when there are no
// problems. A nil ref means refdata.Default().
func ResidentID(ref *refdata.Data, id string, today time.Time) (ResidentIDInfo, beian.Problems) {
	if ref == nil {
		ref = refdata.Default()
	}
	id = NormalizeCertificate(id)
	var ps beian.Problems
	if id == "" {
		ps.Add(idCodeCertRequired, idRuleCert, "")
		return ResidentIDInfo{}, ps
	}
	charsOK := idRIDChars(id)
	if utf8.RuneCountInString(id) != 18 {
		ps.Add(idCodeRIDLength, idRuleCert, "")
		if !charsOK {
			ps.Add(idCodeRIDChars, idRuleCert, "")
		}
		return ResidentIDInfo{}, ps
	}
	if !charsOK {
		ps.Add(idCodeRIDChars, idRuleCert, "")
	}
	// With 18 runes, each field below is checked only when its own
	// characters are digits (and so single bytes): a bad character in one
	// field must not hide a problem in another.
	rs := []rune(id)
	region := string(rs[:6])
	if idIsDigits(region) {
		if _, ok := ref.ProvinceOfCode(region); !ok {
			ps.Add(idCodeRIDRegion, idRuleCert, "")
		}
	}
	var birth time.Time
	if ymd := string(rs[6:14]); idIsDigits(ymd) {
		var ok bool
		birth, ok = idParseYMD(ymd)
		switch {
		case !ok || birth.Before(idMinBirth):
			ps.Add(idCodeRIDBirthInvalid, idRuleCert, "")
		case birth.After(beian.DateOf(today)):
			ps.Add(idCodeRIDBirthFuture, idRuleCert, "")
		}
	}
	if charsOK && ResidentIDCheck(id[:17]) != id[17] {
		ps.Add(idCodeRIDChecksum, idRuleCert, "")
	}
	if len(ps) > 0 {
		return ResidentIDInfo{}, ps
	}
	return ResidentIDInfo{Region: region, Birth: birth, Female: (id[16]-'0')%2 == 0}, nil
}

// idRIDChars reports whether a normalised resident ID uses only digits, with
// an 'X' allowed as the last character alone.
func idRIDChars(id string) bool {
	return idIsDigits(id) || (len(id) > 1 && id[len(id)-1] == 'X' && idIsDigits(id[:len(id)-1]))
}

// idParseYMD parses eight digits YYYYMMDD as midnight CST, rejecting dates
// that do not exist (time.Date would silently roll 0230 over to 0302).
func idParseYMD(s string) (time.Time, bool) {
	n := func(a, b int) int {
		v := 0
		for i := a; i < b; i++ {
			v = v*10 + int(s[i]-'0')
		}
		return v
	}
	y, m, d := n(0, 4), time.Month(n(4, 6)), n(6, 8)
	t := time.Date(y, m, d, 0, 0, 0, 0, beian.CST)
	if t.Year() != y || t.Month() != m || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// The GB 32100 alphabet: digits and upper-case letters without I, O, Z, S, V;
// a character's value is its index.
const idUSCCAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var idUSCCWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheck returns the GB 32100 check character for the first 17
// characters of a unified social credit code, or 0 when body17 is not 17
// characters of the code's alphabet.
func USCCCheck(body17 string) byte {
	if len(body17) != 17 {
		return 0
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(idUSCCAlphabet, body17[i])
		if v < 0 {
			return 0
		}
		sum += v * idUSCCWeights[i]
	}
	return idUSCCAlphabet[(31-sum%31)%31]
}

// USCC checks a unified social credit code (Rule SUBJ-3, GB 32100): after
// NormalizeCertificate, 18 characters of "0123456789ABCDEFGHJKLMNPQRTUWXY";
// positions 3-8 an administrative division code (six digits); positions 9-17
// the GB 11714 organisation code with its own check character; position 18
// the weighted mod-31 check character. Positions 1 and 2 (registration
// authority and organisation category) are not checked against a list: the
// list grows by administrative notice. Every independent problem is reported.
func USCC(code string) beian.Problems {
	code = NormalizeCertificate(code)
	var ps beian.Problems
	if code == "" {
		ps.Add(idCodeCertRequired, idRuleCert, "")
		return ps
	}
	charsOK := idInUSCCAlphabet(code)
	if utf8.RuneCountInString(code) != 18 {
		ps.Add(idCodeUSCCLength, idRuleCert, "")
		if !charsOK {
			ps.Add(idCodeUSCCChars, idRuleCert, "")
		}
		return ps
	}
	if !charsOK {
		ps.Add(idCodeUSCCChars, idRuleCert, "")
	}
	rs := []rune(code)
	// A letter of the alphabet in the division code; other characters there
	// are already reported as bad characters.
	for _, r := range rs[2:8] {
		if (r < '0' || r > '9') && strings.ContainsRune(idUSCCAlphabet, r) {
			ps.Add(idCodeUSCCRegion, idRuleCert, "")
			break
		}
	}
	if org := string(rs[8:17]); idInUSCCAlphabet(org) && OrgCodeCheck(org[:8]) != org[8] {
		ps.Add(idCodeUSCCOrgChecksum, idRuleCert, "")
	}
	if charsOK && USCCCheck(code[:17]) != code[17] {
		ps.Add(idCodeUSCCChecksum, idRuleCert, "")
	}
	return ps
}

// idInUSCCAlphabet reports whether s is non-empty and only of the GB 32100 alphabet.
func idInUSCCAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(idUSCCAlphabet, s[i]) < 0 {
			return false
		}
	}
	return s != ""
}

var idOrgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// OrgCodeCheck returns the GB 11714 check character ('0'-'9' or 'X') for the
// eight-character body of an organisation code (digits 0-9, letters A=10 …
// Z=35), or 0 when body8 is not eight ASCII digits and upper-case letters.
func OrgCodeCheck(body8 string) byte {
	if len(body8) != 8 || !idIsAlnum(body8) {
		return 0
	}
	sum := 0
	for i := range 8 {
		c := body8[i]
		v := int(c - '0')
		if c >= 'A' {
			v = int(c-'A') + 10
		}
		sum += v * idOrgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// OrgCode checks an organisation code (Rule SUBJ-3, GB 11714): after
// NormalizeCertificate, eight digits or upper-case letters and a check
// character, optionally written "XXXXXXXX-X".
func OrgCode(code string) beian.Problems {
	code = NormalizeCertificate(code)
	var ps beian.Problems
	if code == "" {
		ps.Add(idCodeCertRequired, idRuleCert, "")
		return ps
	}
	if len(code) == 10 && code[8] == '-' {
		code = code[:8] + code[9:]
	}
	if len(code) != 9 || !idIsAlnum(code[:8]) || !(idIsDigits(code[8:]) || code[8] == 'X') {
		ps.Add(idCodeOrgFormat, idRuleCert, "")
		return ps
	}
	if OrgCodeCheck(code[:8]) != code[8] {
		ps.Add(idCodeOrgChecksum, idRuleCert, "")
	}
	return ps
}

// idDefaultMinorAge is the age of majority used when a province sets none (Rule SUBJ-2).
const idDefaultMinorAge = 18

// AgeOn returns the completed years of a person born on the calendar date of
// birth (read in birth's own location: ResidentIDInfo.Birth is midnight CST)
// on the China Standard Time date of the instant on (Rule CAL-0). Someone
// born on 29 February has a birthday on 1 March in common years. Before the
// birth date it returns 0.
func AgeOn(birth, on time.Time) int {
	by, bm, bd := birth.Date()
	oy, om, od := on.In(beian.CST).Date()
	age := oy - by
	if om < bm || (om == bm && od < bd) {
		age--
	}
	return max(age, 0)
}

// IsMinor reports whether a responsible person born on birth is younger than
// minorAge (the province's requirement; 18 when minorAge <= 0) on the CST date
// of on, the submit date (Rule SUBJ-2). Callers flag such an order for the
// provider reviewer with the code "subj.minor"; it is not an error.
func IsMinor(birth, on time.Time, minorAge int) bool {
	if minorAge <= 0 {
		minorAge = idDefaultMinorAge
	}
	return AgeOn(birth, on) < minorAge
}

// Certificate checks a certificate number by its API certificate type (Rule
// SUBJ-3): resident_id, uscc and org_code by their official algorithms;
// business_license as a unified social credit code or the older 15-digit
// registration number; institution_cert as a credit code or the older 12
// digits; social_org_cert as a credit code (18 characters) or an older
// number of 4 to 20 letters and digits; passport 5 to 17 letters and digits
// with at least one digit; hk_macao_permit H or M and 8 or 10 digits;
// taiwan_permit 8 or 10 digits; foreign_pr_id the 2023 edition (18
// characters starting with 9, with the MOD 11-2 check character) or the 2017
// edition (3 letters and 12 digits). The number is normalised first. An
// unknown type and an empty number are each reported.
func Certificate(ref *refdata.Data, certType, number string, today time.Time) beian.Problems {
	n := NormalizeCertificate(number)
	known, ok, more := idCertCheck(ref, certType, n, today)
	var ps beian.Problems
	if !known {
		ps.Add(idCodeCertTypeUnknown, idRuleCert, "")
	}
	switch {
	case n == "":
		ps.Add(idCodeCertRequired, idRuleCert, "")
	case known && !ok:
		ps.Add(idCodeCertFormat, idRuleCert, "", "type", certType)
	case known:
		ps = append(ps, more...)
	}
	return ps
}

// idCertCheck checks a normalised number n of a certificate type: known is
// false for an unknown type, ok false for a format problem; otherwise ps are
// the problems of the official algorithm that applies. An empty n is safe
// (Certificate reports it and ignores the rest).
func idCertCheck(ref *refdata.Data, certType, n string, today time.Time) (known, ok bool, ps beian.Problems) {
	switch certType {
	case "resident_id":
		_, ps = ResidentID(ref, n, today)
		return true, true, ps
	case "uscc":
		return true, true, USCC(n)
	case "org_code":
		return true, true, OrgCode(n)
	case "business_license":
		return idOrUSCC(n, len(n) == 15 && idIsDigits(n))
	case "institution_cert":
		return idOrUSCC(n, len(n) == 12 && idIsDigits(n))
	case "social_org_cert":
		return idOrUSCC(n, len(n) >= 4 && len(n) <= 20 && idIsAlnum(n))
	case "passport":
		return true, len(n) >= 5 && len(n) <= 17 && idIsAlnum(n) && strings.ContainsAny(n, "0123456789"), nil
	case "hk_macao_permit":
		return true, (len(n) == 9 || len(n) == 11) && (n[0] == 'H' || n[0] == 'M') && idIsDigits(n[1:]), nil
	case "taiwan_permit":
		return true, (len(n) == 8 || len(n) == 10) && idIsDigits(n), nil
	case "foreign_pr_id":
		switch {
		case len(n) == 18 && n[0] == '9' && idRIDChars(n): // 2023 edition
			if ResidentIDCheck(n[:17]) != n[17] {
				ps.Add(idCodeForeignChecksum, idRuleCert, "")
			}
			return true, true, ps
		case len(n) == 15 && idIsDigits(n[3:]) && !strings.ContainsAny(n[:3], "0123456789") && idIsAlnum(n[:3]): // 2017 edition
			return true, true, nil
		}
		return true, false, nil
	}
	return false, false, nil
}

// idOrUSCC checks a number that is either a unified social credit code (any
// 18-character number is held to GB 32100, so that a mistyped code is caught)
// or an older number, whose format check is old.
func idOrUSCC(n string, old bool) (known, ok bool, ps beian.Problems) {
	if utf8.RuneCountInString(n) == 18 {
		return true, true, USCC(n)
	}
	return true, old, nil
}
