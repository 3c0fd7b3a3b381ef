package validate

import (
	"strings"
	"testing"

	"github.com/beian/beian"
)

// idContactCase is one input to a contact check and what it should give.
type idContactCase struct {
	name, in, want string
	codes          []string
}

// idRunContact runs the cases through check: an accepted value comes out
// normalised and is accepted again unchanged.
func idRunContact(t *testing.T, check func(string) (string, beian.Problems), tests []idContactCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ps := check(tt.in)
			idCheckProblems(t, ps, tt.codes...)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if got != "" {
				again, ps := check(got)
				if again != got || len(ps) > 0 {
					t.Errorf("again: %q %v, want %q unchanged", again, ps, got)
				}
			}
		})
	}
}

// Rule SUBJ-3: phone numbers are mainland mobile numbers.
func TestMobile(t *testing.T) {
	invalid := []string{"subj.mobile_invalid"}
	idRunContact(t, Mobile, []idContactCase{
		{"OK", "13800138000", "13800138000", nil},
		{"OKPlus86", "+86 138 0013 8000", "13800138000", nil},
		{"OKPlus86Hyphens", "+86-138-0013-8000", "13800138000", nil},
		{"OK0086", "0086 13800138000", "13800138000", nil},
		{"OK86", "8613800138000", "13800138000", nil},
		{"OK86Spaced", "86 199 0000 1111", "19900001111", nil},
		{"OKFullWidth", "＋８６　１３８００１３８０００", "13800138000", nil},
		{"OKSegment19", "19912345678", "19912345678", nil},
		{"ErrMobileRequired", "  ", "", []string{"subj.mobile_required"}},
		{"ErrMobileInvalidSecondDigit", "12800138000", "", invalid},
		{"ErrMobileInvalidShort", "1380013800", "", invalid},
		{"ErrMobileInvalidLong", "138001380001", "", invalid},
		{"ErrMobileInvalidHongKong", "+852 6123 4567", "", invalid},
		{"ErrMobileInvalidLandline", "010-12345678", "", invalid},
		{"ErrMobileInvalidLetters", "1380013800O", "", invalid},
		{"ErrMobileInvalidParentheses", "(+86)13800138000", "", invalid},
		{"ErrMobileInvalidBare86", "86138001380", "", invalid},
	})
}

func TestLandline(t *testing.T) {
	invalid := []string{"subj.landline_invalid"}
	idRunContact(t, Landline, []idContactCase{
		{"OK", "010-12345678", "010-12345678", nil},
		{"OKDigitsOnly", "01012345678", "010-12345678", nil},
		{"OKParentheses", "(010)12345678", "010-12345678", nil},
		{"OKGroups", "010 1234 5678", "010-12345678", nil},
		{"OKThreeDigitArea", "0571-87654321", "0571-87654321", nil},
		{"OKThreeDigitAreaDigitsOnly", "057187654321", "0571-87654321", nil},
		{"OKSevenDigits", "0571-8765432", "0571-8765432", nil},
		{"OKArea2X", "020 8888 6666", "020-88886666", nil},
		{"OKPlus86", "+86 10 12345678", "010-12345678", nil},
		{"OKPlus86Hyphens", "+86-571-87654321", "0571-87654321", nil},
		{"OK0086", "0086 571 87654321", "0571-87654321", nil},
		{"OKFullWidth", "０５７１－８７６５４３２１", "0571-87654321", nil},
		{"OKExtension", "0571-87654321-123", "0571-87654321-123", nil},
		{"OKExtensionSpace", "010 12345678 8", "010-12345678-8", nil},
		{"OKExtensionZhuan", "0571-87654321转123", "0571-87654321-123", nil},
		{"OKExtensionFenji", "0571-87654321 分机 123", "0571-87654321-123", nil},
		{"OKExtensionExt", "0571-87654321 ext. 123", "0571-87654321-123", nil},
		{"OKExtensionX", "010-12345678 x8", "010-12345678-8", nil},
		{"OKExtensionHash", "010-12345678#8001", "010-12345678-8001", nil},
		{"ErrLandlineRequired", "", "", []string{"subj.landline_required"}},
		{"ErrLandlineInvalidNoArea", "87654321", "", invalid},
		{"ErrLandlineInvalidArea01", "011-12345678", "", invalid},
		{"ErrLandlineInvalidArea00", "0012345678", "", invalid},
		{"ErrLandlineInvalidLocal0", "010-02345678", "", invalid},
		{"ErrLandlineInvalidShort", "0571-876543", "", invalid},
		{"ErrLandlineInvalidLong", "0571-876543210", "", invalid},
		{"ErrLandlineInvalid400", "400-123-4567", "", invalid},
		{"ErrLandlineInvalidMobile", "13800138000", "", invalid},
		{"ErrLandlineInvalidEmptyExtension", "0571-87654321转", "", invalid},
		{"ErrLandlineInvalidLongExtension", "0571-87654321-1234567", "", invalid},
		{"ErrLandlineInvalidLetters", "0571-8765432A", "", invalid},
	})
}

func TestEmail(t *testing.T) {
	invalid := []string{"subj.email_invalid"}
	tooLong := []string{"subj.email_too_long"}
	long63 := strings.Repeat("a", 63)
	idRunContact(t, Email, []idContactCase{
		{"OK", "user@example.com", "user@example.com", nil},
		{"OKDomainLowerCase", " User.Name+tag@Example.COM ", "User.Name+tag@example.com", nil},
		{"OKSubdomain", "a_b-c@mail.example.com.cn", "a_b-c@mail.example.com.cn", nil},
		{"OKIDN", "user@例子.中国", "user@例子.中国", nil},
		{"OKIDNIdeographicStop", "user@例子。中国", "user@例子.中国", nil},
		{"OKIDNUpperASCII", "user@例子.COM", "user@例子.com", nil},
		{"OKPunycode", "user@XN--FSQU00A.XN--FIQS8S", "user@xn--fsqu00a.xn--fiqs8s", nil},
		{"OKFullWidthAt", "ｕｓｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ", "user@example.com", nil},
		{"OKLocal64", strings.Repeat("a", 64) + "@example.com", strings.Repeat("a", 64) + "@example.com", nil},
		{"ErrEmailRequired", " ", "", []string{"subj.email_required"}},
		{"ErrEmailInvalidNoAt", "user.example.com", "", invalid},
		{"ErrEmailInvalidDisplayName", "Zhang San <zs@example.com>", "", invalid},
		{"ErrEmailInvalidAngle", "<zs@example.com>", "", invalid},
		{"ErrEmailInvalidTwoAt", "zs@@example.com", "", invalid},
		{"ErrEmailInvalidTwoAddresses", "a@example.com,b@example.com", "", invalid},
		{"ErrEmailInvalidNoDot", "zs@localhost", "", invalid},
		{"ErrEmailInvalidDoubleDot", "zs@example..com", "", invalid},
		{"ErrEmailInvalidTrailingDot", "zs@example.com.", "", invalid},
		{"ErrEmailInvalidLocalDot", ".zs@example.com", "", invalid},
		{"ErrEmailInvalidLocalSpace", "z s@example.com", "", invalid},
		{"ErrEmailInvalidLocalHan", "张三@example.com", "", invalid},
		{"ErrEmailInvalidIP", "zs@1.2.3.4", "", invalid},
		{"ErrEmailInvalidIPLiteral", "zs@[127.0.0.1]", "", invalid},
		{"ErrEmailInvalidHyphenLabel", "zs@-example.com", "", invalid},
		{"ErrEmailInvalidUnderscoreDomain", "zs@ex_ample.com", "", invalid},
		{"ErrEmailInvalidBadPunycode", "zs@xn--a.com", "", invalid},
		{"ErrEmailTooLongLocal", strings.Repeat("a", 65) + "@example.com", "", tooLong},
		{"ErrEmailTooLongTotal", long63 + "@" + long63 + "." + long63 + "." + long63 + ".com", "", tooLong},
		{"ErrEmailTooLongAndInvalid", strings.Repeat("a", 65) + "@localhost", "", []string{"subj.email_too_long", "subj.email_invalid"}},
	})
}
