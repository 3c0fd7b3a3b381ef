package validate

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// idTestToday is 2026-03-14 20:00 UTC: already 2026-03-15 in China Standard
// Time, the date every check must use (Rule CAL-0).
var idTestToday = time.Date(2026, 3, 14, 20, 0, 0, 0, time.UTC)

// idTestRID completes 17 digits with their check character.
func idTestRID(tb testing.TB, body17 string) string {
	tb.Helper()
	c := ResidentIDCheck(body17)
	if c == 0 {
		tb.Fatalf("ResidentIDCheck(%q) = 0", body17)
	}
	return body17 + string(c)
}

// idTestUSCC builds a valid unified social credit code from its first eight
// characters and an eight-character organisation code body.
func idTestUSCC(tb testing.TB, head8, org8 string) string {
	tb.Helper()
	body := head8 + org8 + string(OrgCodeCheck(org8))
	c := USCCCheck(body)
	if c == 0 {
		tb.Fatalf("USCCCheck(%q) = 0", body)
	}
	return body + string(c)
}

// idWrongCheck replaces the last character with another valid-looking one.
func idWrongCheck(s string) string {
	last := s[len(s)-1]
	for _, c := range []byte("0123456789") {
		if c != last {
			return s[:len(s)-1] + string(c)
		}
	}
	return s
}

// idCheckProblems compares the codes of ps with want, in order, and checks
// that every problem carries the rule of its code, no field and no Args but
// a certificate type.
func idCheckProblems(tb testing.TB, ps beian.Problems, want ...string) {
	tb.Helper()
	var got []string
	for _, p := range ps {
		got = append(got, p.Code)
		if rule, ok := identityCodes[p.Code]; !ok || p.Rule != rule {
			tb.Errorf("problem %s: rule %q, identityCodes has %q (%v)", p.Code, p.Rule, rule, ok)
		}
		if p.Field != "" {
			tb.Errorf("problem %s: field %q, want \"\"", p.Code, p.Field)
		}
		for k := range p.Args {
			if k != "type" {
				tb.Errorf("problem %s: arg %q may echo personal data", p.Code, k)
			}
		}
	}
	if !slices.Equal(got, want) {
		tb.Errorf("problems = %v, want %v", got, want)
	}
}

// Rule SUBJ-3: the published GB 11643 sample number.
func TestResidentIDPublishedSample(t *testing.T) {
	const sample = "11010519491231002X"
	if c := ResidentIDCheck(sample[:17]); c != 'X' {
		t.Fatalf("ResidentIDCheck(%q) = %q, want 'X'", sample[:17], c)
	}
	info, ps := ResidentID(refdata.Default(), sample, idTestToday)
	idCheckProblems(t, ps)
	want := ResidentIDInfo{Region: "110105", Birth: time.Date(1949, 12, 31, 0, 0, 0, 0, beian.CST), Female: true}
	if info.Region != want.Region || !info.Birth.Equal(want.Birth) || info.Birth.Location() != beian.CST || info.Female != want.Female {
		t.Errorf("info = %+v, want %+v", info, want)
	}
}

func TestResidentIDCheckBadInput(t *testing.T) {
	for _, body := range []string{"", "1101051949123100", "110105194912310021", "1101051949123100A", "１１０１０５１９４９１２３１００２"} {
		if c := ResidentIDCheck(body); c != 0 {
			t.Errorf("ResidentIDCheck(%q) = %q, want 0", body, c)
		}
	}
}

// Rule SUBJ-3, with the birth date reckoned in CST (Rule CAL-0).
func TestResidentID(t *testing.T) {
	male := idTestRID(t, "33010619900307123")
	tests := []struct {
		name string
		id   string
		want []string
	}{
		{"OK", male, nil},
		{"OKLowerX", "11010519491231002x", nil},
		{"OKFullWidthAndSpaces", " １１０１０５ 19491231 002Ｘ ", nil},
		// 2026-03-15 is today in CST although the instant is still 03-14 in UTC.
		{"OKBornTodayInCST", idTestRID(t, "44030520260315001"), nil},
		{"OKBorn1900", idTestRID(t, "11010519000101001"), nil},
		{"OKLeapDay", idTestRID(t, "11010520000229001"), nil},
		{"ErrCertRequired", "", []string{"subj.cert_required"}},
		{"ErrCertRequiredSpaces", " \u3000 ", []string{"subj.cert_required"}},
		{"ErrResidentIDLength", "11010519491231002", []string{"subj.resident_id_length"}},
		{"ErrResidentIDLengthFirstGeneration", "110105491231002", []string{"subj.resident_id_length"}},
		{"ErrResidentIDLengthAndChars", "11010519491231002XX", []string{"subj.resident_id_length", "subj.resident_id_chars"}},
		{"ErrResidentIDCharsXInside", "1101051949123100X2", []string{"subj.resident_id_chars"}},
		{"ErrResidentIDCharsHan", "11010519491231002号", []string{"subj.resident_id_chars"}},
		{"ErrResidentIDRegion", idTestRID(t, "99010519491231002"), []string{"subj.resident_id_region"}},
		{"ErrResidentIDRegionZero", idTestRID(t, "00000019491231002"), []string{"subj.resident_id_region"}},
		{"ErrResidentIDBirthInvalidDay", idTestRID(t, "11010519490230002"), []string{"subj.resident_id_birth_invalid"}},
		{"ErrResidentIDBirthInvalidMonth", idTestRID(t, "11010519491331002"), []string{"subj.resident_id_birth_invalid"}},
		{"ErrResidentIDBirthInvalidNotLeap", idTestRID(t, "11010519000229002"), []string{"subj.resident_id_birth_invalid"}},
		{"ErrResidentIDBirthInvalidBefore1900", idTestRID(t, "11010518991231002"), []string{"subj.resident_id_birth_invalid"}},
		{"ErrResidentIDBirthFuture", idTestRID(t, "44030520260316001"), []string{"subj.resident_id_birth_future"}},
		{"ErrResidentIDChecksum", idWrongCheck(male), []string{"subj.resident_id_checksum"}},
		{"ErrResidentIDChecksumX", "110105194912310020", []string{"subj.resident_id_checksum"}},
		// Every independent problem is reported.
		{"ErrBirthAndChecksum", idWrongCheck(idTestRID(t, "11010519490230002")),
			[]string{"subj.resident_id_birth_invalid", "subj.resident_id_checksum"}},
		{"ErrRegionFutureAndChecksum", idWrongCheck(idTestRID(t, "98010520300101002")),
			[]string{"subj.resident_id_region", "subj.resident_id_birth_future", "subj.resident_id_checksum"}},
		{"ErrCharsInRegionAndBirth", "1A0105194902300021",
			[]string{"subj.resident_id_chars", "subj.resident_id_birth_invalid"}},
		{"ErrCharsInBirthAndRegion", "99010519A912310021",
			[]string{"subj.resident_id_chars", "subj.resident_id_region"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, ps := ResidentID(refdata.Default(), tt.id, idTestToday)
			idCheckProblems(t, ps, tt.want...)
			if len(ps) > 0 && info != (ResidentIDInfo{}) {
				t.Errorf("info = %+v with problems, want zero", info)
			}
			if len(ps) == 0 && (len(info.Region) != 6 || info.Birth.IsZero()) {
				t.Errorf("info = %+v, want filled", info)
			}
		})
	}
}

func TestResidentIDInfo(t *testing.T) {
	info, ps := ResidentID(nil, idTestRID(t, "33010619900307123"), idTestToday)
	idCheckProblems(t, ps)
	if info.Region != "330106" || info.Female || !info.Birth.Equal(time.Date(1990, 3, 7, 0, 0, 0, 0, beian.CST)) {
		t.Errorf("info = %+v", info)
	}
}

// Rule SUBJ-3: GB 32100 with the embedded GB 11714 organisation code.
func TestUSCCPublishedSample(t *testing.T) {
	// Worked by hand: the organisation code M000100Y (M=22, Y=34) weighs
	// 66+5+68 = 139, 139 mod 11 = 7, 11-7 = 4; the credit code's 17
	// characters weigh 1640, 1640 mod 31 = 28, 31-28 = 3.
	const sample = "91350100M000100Y43"
	if c := OrgCodeCheck(sample[8:16]); c != '4' {
		t.Errorf("OrgCodeCheck(%q) = %q, want '4'", sample[8:16], c)
	}
	if c := USCCCheck(sample[:17]); c != '3' {
		t.Errorf("USCCCheck(%q) = %q, want '3'", sample[:17], c)
	}
	idCheckProblems(t, USCC(sample))
}

func TestUSCC(t *testing.T) {
	valid := idTestUSCC(t, "91330106", "MA27XL0B")
	// The organisation code's check character is wrong, the credit code's
	// own check character is computed over it and so right.
	badOrg := valid[:16] + string(idWrongCheck(valid[:17])[16])
	badOrg += string(USCCCheck(badOrg))
	tests := []struct {
		name string
		code string
		want []string
	}{
		{"OK", valid, nil},
		{"OKPublished", "91350100M000100Y43", nil},
		{"OKLowerCaseAndSpaces", " 91350100m000100y43 ", nil},
		{"OKCentralLevel", idTestUSCC(t, "11100000", "00001312"), nil},
		{"ErrCertRequired", "", []string{"subj.cert_required"}},
		{"ErrUSCCLength", "91350100M000100Y4", []string{"subj.uscc_length"}},
		{"ErrUSCCLengthAndChars", "91350100M0O0100Y4", []string{"subj.uscc_length", "subj.uscc_chars"}},
		{"ErrUSCCCharsO", "91350100MO00100Y43", []string{"subj.uscc_chars"}},
		{"ErrUSCCCharsHan", "91350100M000100Y4号", []string{"subj.uscc_chars"}},
		{"ErrUSCCRegion", idTestUSCC(t, "9133A106", "MA27XL0B"), []string{"subj.uscc_region"}},
		{"ErrUSCCChecksum", idWrongCheck(valid), []string{"subj.uscc_checksum"}},
		{"ErrUSCCOrgCodeChecksum", badOrg, []string{"subj.uscc_org_code_checksum"}},
		{"ErrUSCCOrgCodeAndChecksum", "91350100M000100Y53", []string{"subj.uscc_org_code_checksum", "subj.uscc_checksum"}},
		{"ErrUSCCRegionAndChecksum", "9135A100M000100Y43", []string{"subj.uscc_region", "subj.uscc_checksum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { idCheckProblems(t, USCC(tt.code), tt.want...) })
	}
}

func TestUSCCCheckBadInput(t *testing.T) {
	for _, body := range []string{"", "91350100M000100Y", "91350100M000100Y4X", "91350100M0001O0Y4", "91350100m000100Y4"} {
		if c := USCCCheck(body); c != 0 {
			t.Errorf("USCCCheck(%q) = %q, want 0", body, c)
		}
	}
}

// Rule SUBJ-3: GB 11714.
func TestOrgCode(t *testing.T) {
	tests := []struct {
		name string
		code string
		want []string
	}{
		{"OK", "M000100Y4", nil},
		{"OKHyphen", "M000100Y-4", nil},
		{"OKPublishedCheckX", "D2143569-X", nil},
		{"OKLowerCaseFullWidthHyphen", "d2143569－x", nil},
		{"OKCheckZero", "00000000-0", nil},
		{"ErrCertRequired", " ", []string{"subj.cert_required"}},
		{"ErrOrgCodeFormatShort", "M000100Y", []string{"subj.org_code_format"}},
		{"ErrOrgCodeFormatHyphenPlace", "M000100-Y4", []string{"subj.org_code_format"}},
		{"ErrOrgCodeFormatCheckLetter", "M000100YA", []string{"subj.org_code_format"}},
		{"ErrOrgCodeFormatChars", "M000100_4", []string{"subj.org_code_format"}},
		{"ErrOrgCodeChecksum", "M000100Y5", []string{"subj.org_code_checksum"}},
		{"ErrOrgCodeChecksumX", "D2143569-1", []string{"subj.org_code_checksum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { idCheckProblems(t, OrgCode(tt.code), tt.want...) })
	}
	for _, body := range []string{"", "D214356", "D214356-", "d2143569"} {
		if c := OrgCodeCheck(body); c != 0 {
			t.Errorf("OrgCodeCheck(%q) = %q, want 0", body, c)
		}
	}
}

func TestNormalizeCertificate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{" 11010519491231002x ", "11010519491231002X"},
		{"１１０１０５\u3000１９４９ １２３１ ００２ｘ", "11010519491231002X"},
		{"d2143569－x", "D2143569-X"},
		{"d2143569\u2014x", "D2143569-X"},
		{"\ufeff91350100\u200bM000100Y43", "91350100M000100Y43"},
		{"社证字第０１２３号", "社证字第0123号"},
	}
	for _, tt := range tests {
		if got := NormalizeCertificate(tt.in); got != tt.want {
			t.Errorf("NormalizeCertificate(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := NormalizeCertificate(tt.want); got != tt.want {
			t.Errorf("NormalizeCertificate(%q) = %q, not idempotent", tt.want, got)
		}
	}
}

// Rule SUBJ-3: every certificate type of API.md.
func TestCertificate(t *testing.T) {
	uscc := idTestUSCC(t, "52330000", "MJ8825L2")
	foreign := idTestRID(t, "93311219900101001")
	tests := []struct {
		name, certType, number string
		want                   []string
	}{
		{"OKResidentID", "resident_id", "11010519491231002x", nil},
		{"ErrResidentIDChecksum", "resident_id", "110105194912310021", []string{"subj.resident_id_checksum"}},
		{"ErrResidentIDFuture", "resident_id", idTestRID(t, "44030520260316001"), []string{"subj.resident_id_birth_future"}},
		{"OKUSCC", "uscc", "91350100M000100Y43", nil},
		{"ErrUSCCChecksum", "uscc", "91350100M000100Y42", []string{"subj.uscc_checksum"}},
		{"OKOrgCode", "org_code", "D2143569-X", nil},
		{"ErrOrgCodeFormat", "org_code", "D2143569", []string{"subj.org_code_format"}},
		{"OKBusinessLicenseUSCC", "business_license", "91350100M000100Y43", nil},
		{"OKBusinessLicenseOld", "business_license", "330106000123456", nil},
		{"ErrBusinessLicenseFormat", "business_license", "33010600012345", []string{"subj.cert_format"}},
		{"ErrBusinessLicenseUSCC", "business_license", "91350100M000100Y42", []string{"subj.uscc_checksum"}},
		{"OKInstitutionUSCC", "institution_cert", idTestUSCC(t, "12330000", "47000123"), nil},
		{"OKInstitutionOld", "institution_cert", "133010000123", nil},
		{"ErrInstitutionFormat", "institution_cert", "13301000012A", []string{"subj.cert_format"}},
		{"OKSocialOrgUSCC", "social_org_cert", uscc, nil},
		{"OKSocialOrgOld", "social_org_cert", "5300001234", nil},
		{"ErrSocialOrgFormatHan", "social_org_cert", "社证字第0123号", []string{"subj.cert_format"}},
		{"ErrSocialOrgFormatShort", "social_org_cert", "123", []string{"subj.cert_format"}},
		{"ErrSocialOrgUSCC", "social_org_cert", idWrongCheck(uscc), []string{"subj.uscc_checksum"}},
		{"OKPassport", "passport", "e12345678", nil},
		{"OKPassportShort", "passport", "G1234", nil},
		{"ErrPassportNoDigit", "passport", "ABCDEFGH", []string{"subj.cert_format"}},
		{"ErrPassportLong", "passport", "E1234567890123456X", []string{"subj.cert_format"}},
		{"OKHKMacaoPermit", "hk_macao_permit", "H12345678", nil},
		{"OKHKMacaoPermit10", "hk_macao_permit", "m1234567890", nil},
		{"ErrHKMacaoPermitLetter", "hk_macao_permit", "K12345678", []string{"subj.cert_format"}},
		{"ErrHKMacaoPermitDigits", "hk_macao_permit", "H123456789", []string{"subj.cert_format"}},
		{"OKTaiwanPermit", "taiwan_permit", "12345678", nil},
		{"OKTaiwanPermit10", "taiwan_permit", "1234567890", nil},
		{"ErrTaiwanPermit", "taiwan_permit", "T12345678", []string{"subj.cert_format"}},
		{"OKForeignPR2023", "foreign_pr_id", foreign, nil},
		{"OKForeignPR2017", "foreign_pr_id", "usa330112345678", nil},
		{"ErrForeignPRChecksum", "foreign_pr_id", idWrongCheck(foreign), []string{"subj.foreign_pr_id_checksum"}},
		{"ErrForeignPRFormat", "foreign_pr_id", "US1330112345678", []string{"subj.cert_format"}},
		{"ErrForeignPRFormatNot9", "foreign_pr_id", "11010519491231002X", []string{"subj.cert_format"}},
		{"ErrCertRequired", "passport", " ", []string{"subj.cert_required"}},
		{"ErrCertTypeUnknown", "driving_licence", "12345678", []string{"subj.cert_type_unknown"}},
		{"ErrCertTypeAndNumberMissing", "", "", []string{"subj.cert_type_unknown", "subj.cert_required"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if !strings.HasPrefix(tt.name, "Err") {
			seen[tt.certType] = true
		}
		t.Run(tt.name, func(t *testing.T) {
			ps := Certificate(refdata.Default(), tt.certType, tt.number, idTestToday)
			idCheckProblems(t, ps, tt.want...)
			if ps.Has("subj.cert_format") && ps[0].Args["type"] != tt.certType {
				t.Errorf("args = %v, want type %q", ps[0].Args, tt.certType)
			}
		})
	}
	for _, c := range refdata.Default().CertificateTypes() {
		if !seen[c.Code] {
			t.Errorf("certificate type %s has no OK case", c.Code)
		}
	}
}

// Rules SUBJ-2 and CAL-0.
func TestAgeOn(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, beian.CST) }
	leap := day(2000, 2, 29)
	tests := []struct {
		name      string
		birth, on time.Time
		want      int
	}{
		{"OKBirthday", day(2000, 5, 20), day(2026, 5, 20), 26},
		{"OKDayBefore", day(2000, 5, 20), day(2026, 5, 19), 25},
		{"OKLeapDayCommonYearFeb28", leap, day(2027, 2, 28), 26},
		{"OKLeapDayCommonYearMar1", leap, day(2027, 3, 1), 27},
		{"OKLeapDayLeapYear", leap, day(2028, 2, 29), 28},
		{"OKLeapDayLeapYearFeb28", leap, day(2028, 2, 28), 27},
		// 2026-03-14 16:00 UTC is midnight of 03-15 in CST.
		{"OKCSTMidnight", day(2008, 3, 15), time.Date(2026, 3, 14, 16, 0, 0, 0, time.UTC), 18},
		{"OKCSTJustBefore", day(2008, 3, 15), time.Date(2026, 3, 14, 15, 59, 59, 0, time.UTC), 17},
		{"OKBirthDateInUTC", time.Date(2008, 3, 15, 0, 0, 0, 0, time.UTC), day(2026, 3, 15), 18},
		{"OKNewborn", day(2026, 3, 15), idTestToday, 0},
		{"OKBeforeBirth", day(2026, 3, 15), day(2020, 1, 1), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AgeOn(tt.birth, tt.on); got != tt.want {
				t.Errorf("AgeOn(%s, %s) = %d, want %d", tt.birth, tt.on, got, tt.want)
			}
		})
	}
}

// Rule SUBJ-2: a person is a minor until the 18th birthday (CST date).
func TestIsMinor(t *testing.T) {
	info, ps := ResidentID(nil, idTestRID(t, "31010420080315002"), idTestToday)
	idCheckProblems(t, ps)
	tests := []struct {
		name     string
		on       time.Time
		minorAge int
		want     bool
	}{
		{"OKExactly18", idTestToday, 18, false},
		{"OKExactly18DefaultAge", idTestToday, 0, false},
		{"Minor18DayBefore", idTestToday.Add(-24 * time.Hour), 18, true},
		{"MinorBeforeCSTMidnight", time.Date(2026, 3, 14, 15, 59, 0, 0, time.UTC), 0, true},
		{"OKProvince16", time.Date(2024, 3, 15, 0, 0, 0, 0, beian.CST), 16, false},
		{"MinorProvince20", idTestToday, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsMinor(info.Birth, tt.on, tt.minorAge); got != tt.want {
				t.Errorf("IsMinor(%s, %s, %d) = %v, want %v", info.Birth, tt.on, tt.minorAge, got, tt.want)
			}
		})
	}
	if identityCodes["subj.minor"] != "SUBJ-2" {
		t.Errorf("identityCodes[subj.minor] = %q, want SUBJ-2", identityCodes["subj.minor"])
	}
}
