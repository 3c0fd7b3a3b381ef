package validate

import (
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
)

// idFuzzProblems fails when a problem has a code outside identityCodes, a
// rule other than its code's, or Args that could echo the input.
func idFuzzProblems(t *testing.T, ps beian.Problems) {
	t.Helper()
	for _, p := range ps {
		if rule, ok := identityCodes[p.Code]; !ok || p.Rule != rule || p.Field != "" {
			t.Fatalf("problem %+v: not in identityCodes or wrong rule/field", p)
		}
		for k := range p.Args {
			if k != "type" {
				t.Fatalf("problem %s has arg %q", p.Code, k)
			}
		}
	}
}

// idFuzzNormalized fails unless NormalizeCertificate is idempotent on s and
// returns the normalised form.
func idFuzzNormalized(t *testing.T, s string) string {
	t.Helper()
	n := NormalizeCertificate(s)
	if again := NormalizeCertificate(n); again != n {
		t.Fatalf("NormalizeCertificate not idempotent: %q → %q → %q", s, n, again)
	}
	return n
}

// idFuzzPick builds n characters of alphabet from the bytes of s.
func idFuzzPick(s, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		c := byte(i * 7)
		if i < len(s) {
			c = s[i]
		}
		b[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(b)
}

// Rule SUBJ-3.
func FuzzResidentID(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "11010519491231002x", "１１０１０５１９４９１２３１００２ｘ", "", "1101051949023000", "99010520300101002\u00ff", "11010519491231002号"} {
		f.Add(s)
	}
	ref := refdata.Default()
	f.Fuzz(func(t *testing.T, s string) {
		info, ps := ResidentID(ref, s, idTestToday)
		idFuzzProblems(t, ps)
		n := idFuzzNormalized(t, s)
		if len(ps) == 0 {
			info2, ps2 := ResidentID(ref, n, idTestToday)
			if len(ps2) > 0 || info2.Region != info.Region || !info2.Birth.Equal(info.Birth) || info2.Female != info.Female {
				t.Fatalf("accepted %q, but its normal form %q gives %v %+v", s, n, ps2, info2)
			}
		}
		// 17 fuzzed digits and their check character: never a checksum,
		// length or character problem.
		body := idFuzzPick(s, "0123456789", 17)
		_, ps = ResidentID(ref, body+string(ResidentIDCheck(body)), idTestToday)
		idFuzzProblems(t, ps)
		for _, code := range []string{idCodeRIDChecksum, idCodeRIDLength, idCodeRIDChars} {
			if ps.Has(code) {
				t.Fatalf("%q with its check character: %v", body, ps)
			}
		}
	})
}

// Rule SUBJ-3.
func FuzzUSCC(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91350100m000100y43", "91350100M000100Y53", "", "9135A100M000100Y4", "91350100MO00100Y4号"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps := USCC(s)
		idFuzzProblems(t, ps)
		n := idFuzzNormalized(t, s)
		if len(ps) == 0 {
			if ps2 := USCC(n); len(ps2) > 0 {
				t.Fatalf("accepted %q, but its normal form %q gives %v", s, n, ps2)
			}
		}
		// A code built with both check functions is accepted.
		org := idFuzzPick(s, idUSCCAlphabet, 8)
		body := idFuzzPick(s, idUSCCAlphabet, 2) + idFuzzPick(s[min(len(s), 2):], "0123456789", 6) + org + string(OrgCodeCheck(org))
		if code := body + string(USCCCheck(body)); len(USCC(code)) > 0 {
			t.Fatalf("built %q: %v", code, USCC(code))
		}
	})
}

// Rule SUBJ-3.
func FuzzOrgCode(f *testing.F) {
	for _, s := range []string{"M000100Y4", "D2143569-X", "d2143569－x", "", "M000100-Y4", "M000100Y-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps := OrgCode(s)
		idFuzzProblems(t, ps)
		n := idFuzzNormalized(t, s)
		if len(ps) == 0 {
			if ps2 := OrgCode(n); len(ps2) > 0 {
				t.Fatalf("accepted %q, but its normal form %q gives %v", s, n, ps2)
			}
		}
		body := idFuzzPick(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", 8)
		c := string(OrgCodeCheck(body))
		if len(OrgCode(body+c)) > 0 || len(OrgCode(body+"-"+c)) > 0 {
			t.Fatalf("built %q: %v", body+c, OrgCode(body+c))
		}
	})
}

// idFuzzCertTypes are the API.md certificate types and two that are not.
var idFuzzCertTypes = []string{
	"resident_id", "uscc", "business_license", "org_code", "passport", "hk_macao_permit",
	"taiwan_permit", "foreign_pr_id", "institution_cert", "social_org_cert", "", "bogus",
}

// Rule SUBJ-3.
func FuzzCertificate(f *testing.F) {
	for i, s := range []string{"11010519491231002x", "91350100M000100Y43", "330106000123456", "D2143569-X", "e12345678",
		"H12345678", "12345678", "usa330112345678", "133010000123", "5300001234", "", "x"} {
		f.Add(uint8(i), s)
	}
	ref := refdata.Default()
	f.Fuzz(func(t *testing.T, i uint8, s string) {
		certType := idFuzzCertTypes[int(i)%len(idFuzzCertTypes)]
		ps := Certificate(ref, certType, s, idTestToday)
		idFuzzProblems(t, ps)
		n := idFuzzNormalized(t, s)
		if len(ps) == 0 {
			if ps2 := Certificate(ref, certType, n, idTestToday); len(ps2) > 0 {
				t.Fatalf("%s: accepted %q, but its normal form %q gives %v", certType, s, n, ps2)
			}
		}
	})
}

// Rule SUBJ-3.
func FuzzMobile(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138 0013 8000", "008613800138000", "8613800138000", "＋８６１３８００１３８０００", "", "86138001380"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ps := Mobile(s)
		idFuzzProblems(t, ps)
		if len(ps) > 0 {
			if out != "" {
				t.Fatalf("Mobile(%q) = %q with problems", s, out)
			}
			return
		}
		if len(out) != 11 || !idIsDigits(out) || out[0] != '1' || out[1] < '3' {
			t.Fatalf("Mobile(%q) = %q", s, out)
		}
		if again, ps := Mobile(out); again != out || len(ps) > 0 {
			t.Fatalf("Mobile(%q) = %q, but Mobile(%q) = %q %v", s, out, out, again, ps)
		}
	})
}

// Rule SUBJ-3.
func FuzzLandline(f *testing.F) {
	for _, s := range []string{"010-12345678", "(010)12345678", "+86 571 87654321", "0571-87654321转123", "0571-87654321-123", "010 1234 5678", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ps := Landline(s)
		idFuzzProblems(t, ps)
		if len(ps) == 0 {
			if again, ps := Landline(out); again != out || len(ps) > 0 {
				t.Fatalf("Landline(%q) = %q, but Landline(%q) = %q %v", s, out, out, again, ps)
			}
		}
	})
}

// Rule SUBJ-3.
func FuzzEmail(f *testing.F) {
	for _, s := range []string{"user@example.com", "User@Example.COM", "user@例子.中国", "user@例子。中国", "user@XN--FSQU00A.XN--FIQS8S", "ｕ＠ｅｘ．ｃｏｍ", "a <a@b.com>", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, ps := Email(s)
		idFuzzProblems(t, ps)
		if len(ps) > 0 {
			if out != "" {
				t.Fatalf("Email(%q) = %q with problems", s, out)
			}
			return
		}
		if again, ps := Email(out); again != out || len(ps) > 0 {
			t.Fatalf("Email(%q) = %q, but Email(%q) = %q %v", s, out, out, again, ps)
		}
	})
}
