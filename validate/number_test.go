package validate

import (
	"testing"

	"github.com/beian/beian/refdata"
)

func TestParseFilingNumber(t *testing.T) { // Rule NUM-1
	ref := refdata.Default()
	tests := []struct {
		name  string
		in    string
		want  FilingNumber
		canon string // String() of the result, "" when refused
		codes []string
	}{
		{name: "OKSubject", in: "京ICP备2026001234号",
			want: FilingNumber{Abbr: "京", Serial: "2026001234"}, canon: "京ICP备2026001234号"},
		{name: "OKWebsite", in: "京ICP备2026001234号-3",
			want: FilingNumber{Abbr: "京", Serial: "2026001234", Site: 3}, canon: "京ICP备2026001234号-3"},
		{name: "OKEightDigits", in: "浙ICP备05012345号-12",
			want: FilingNumber{Abbr: "浙", Serial: "05012345", Site: 12}, canon: "浙ICP备05012345号-12"},
		{name: "OKSixDigits", in: "沪ICP备123456号",
			want: FilingNumber{Abbr: "沪", Serial: "123456"}, canon: "沪ICP备123456号"},
		{name: "OKLicence", in: "京ICP证030173号",
			want: FilingNumber{Abbr: "京", Licence: true, Serial: "030173"}, canon: "京ICP证030173号"},
		{name: "OKLicenceWebsite", in: "京ICP证030173号-1",
			want: FilingNumber{Abbr: "京", Licence: true, Serial: "030173", Site: 1}, canon: "京ICP证030173号-1"},
		{name: "OKSichuan", in: "蜀ICP备2025000001号-1",
			want: FilingNumber{Abbr: "蜀", Serial: "2025000001", Site: 1}, canon: "蜀ICP备2025000001号-1"},
		{name: "OKGuizhou", in: "黔ICP备12345678号",
			want: FilingNumber{Abbr: "黔", Serial: "12345678"}, canon: "黔ICP备12345678号"},
		{name: "OKYunnan", in: "滇ICP备123456号-9999",
			want: FilingNumber{Abbr: "滇", Serial: "123456", Site: 9999}, canon: "滇ICP备123456号-9999"},
		{name: "OKSpaces", in: " \t京ICP备2026001234号-3\u3000",
			want: FilingNumber{Abbr: "京", Serial: "2026001234", Site: 3}, canon: "京ICP备2026001234号-3"},
		{name: "OKFullWidth", in: "京ＩＣＰ备２０２６００１２３４号－３",
			want: FilingNumber{Abbr: "京", Serial: "2026001234", Site: 3}, canon: "京ICP备2026001234号-3"},
		{name: "OKLowerCaseDash", in: "京icp备2026001234号–3",
			want: FilingNumber{Abbr: "京", Serial: "2026001234", Site: 3}, canon: "京ICP备2026001234号-3"},
		{name: "OKYear2000", in: "粤ICP备2000000001号",
			want: FilingNumber{Abbr: "粤", Serial: "2000000001"}, canon: "粤ICP备2000000001号"},
		{name: "OKYear2100", in: "粤ICP备2100999999号",
			want: FilingNumber{Abbr: "粤", Serial: "2100999999"}, canon: "粤ICP备2100999999号"},
		{name: "ErrRequired", in: "  ", codes: []string{"num.required"}},
		{name: "ErrInvalidNoHao", in: "京ICP备2026001234", codes: []string{"num.invalid"}},
		{name: "ErrInvalidNoAbbr", in: "ICP备2026001234号", codes: []string{"num.invalid"}},
		{name: "ErrInvalidTwoAbbr", in: "京津ICP备2026001234号", codes: []string{"num.invalid"}},
		{name: "ErrInvalidInnerSpace", in: "京ICP备 2026001234号", codes: []string{"num.invalid"}},
		{name: "ErrInvalidEmptySite", in: "京ICP备2026001234号-", codes: []string{"num.invalid"}},
		{name: "ErrInvalidKind", in: "京ICP号2026001234号", codes: []string{"num.invalid"}},
		{name: "ErrProvinceUnknownChuan", in: "川ICP备2026001234号", codes: []string{"num.province_unknown"}},
		{name: "ErrProvinceUnknownGui", in: "贵ICP备12345678号", codes: []string{"num.province_unknown"}},
		{name: "ErrProvinceUnknownYun", in: "云ICP备123456号", codes: []string{"num.province_unknown"}},
		{name: "ErrSerialLengthSeven", in: "京ICP备1234567号", codes: []string{"num.serial_length"}},
		{name: "ErrSerialLengthEleven", in: "京ICP备20260012345号", codes: []string{"num.serial_length"}},
		{name: "ErrSerialYear1999", in: "京ICP备1999001234号", codes: []string{"num.serial_year"}},
		{name: "ErrSerialYear2101", in: "京ICP备2101001234号", codes: []string{"num.serial_year"}},
		{name: "ErrLicenceSerialLength", in: "京ICP证2026001234号", codes: []string{"num.licence_serial_length"}},
		{name: "ErrSiteZero", in: "京ICP备2026001234号-0", codes: []string{"num.site_invalid"}},
		{name: "ErrSiteLeadingZero", in: "京ICP备2026001234号-03", codes: []string{"num.site_invalid"}},
		{name: "ErrSiteTooLarge", in: "京ICP备2026001234号-10000", codes: []string{"num.site_invalid"}},
		{name: "ErrSiteHuge", in: "京ICP备2026001234号-99999999999999999999999", codes: []string{"num.site_invalid"}},
		{name: "ErrEverything", in: "川ICP备1999001234号-0",
			codes: []string{"num.province_unknown", "num.serial_year", "num.site_invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ps := ParseFilingNumber(ref, tt.in)
			webWantCodes(t, ps, tt.codes...)
			for _, p := range ps {
				if p.Field != "" {
					t.Errorf("%s: field %q, want \"\"", p.Code, p.Field)
				}
			}
			if n != tt.want {
				t.Errorf("parsed %+v, want %+v", n, tt.want)
			}
			if tt.canon == "" {
				return
			}
			if got := n.String(); got != tt.canon {
				t.Errorf("String() = %q, want %q", got, tt.canon)
			}
			again, ps := ParseFilingNumber(ref, n.String())
			if len(ps) > 0 || again != n {
				t.Errorf("round trip: %+v %v", again, ps)
			}
		})
	}
}

func TestParseFilingNumberArgs(t *testing.T) { // Rule NUM-1
	ref := refdata.Default()
	_, ps := ParseFilingNumber(ref, "川ICP备1999001234号")
	if got := webProblem(t, ps, "num.province_unknown").Args["abbr"]; got != "川" {
		t.Errorf("abbr = %q", got)
	}
	if got := webProblem(t, ps, "num.serial_year").Args["year"]; got != "1999" {
		t.Errorf("year = %q", got)
	}
	_, ps = ParseFilingNumber(ref, "京ICP备1234567号")
	if got := webProblem(t, ps, "num.serial_length").Args["length"]; got != "7" {
		t.Errorf("length = %q", got)
	}
}

func TestFilingNumberMethods(t *testing.T) { // Rule NUM-1
	n := NewSubjectNumber("京", 2026, 1234)
	if got := n.String(); got != "京ICP备2026001234号" {
		t.Errorf("NewSubjectNumber = %q", got)
	}
	w := n.Website(3)
	if got := w.String(); got != "京ICP备2026001234号-3" {
		t.Errorf("Website(3) = %q", got)
	}
	if w.SubjectNumber() != n {
		t.Errorf("SubjectNumber = %+v, want %+v", w.SubjectNumber(), n)
	}
	if n.Site != 0 {
		t.Error("Website changed its receiver")
	}
	if got := NewSubjectNumber("蜀", 2000, 999999).String(); got != "蜀ICP备2000999999号" {
		t.Errorf("last sequence = %q", got)
	}
	ref := refdata.Default()
	for _, p := range ref.Provinces() {
		n := NewSubjectNumber(p.Abbr, 2026, 1).Website(1)
		if got, ps := ParseFilingNumber(ref, n.String()); len(ps) > 0 || got != n {
			t.Errorf("%s: %+v %v", p.Name, got, ps)
		}
	}
	for _, bad := range []struct{ year, seq int }{{1999, 1}, {2101, 1}, {2026, 0}, {2026, 1000000}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSubjectNumber(%d, %d) did not panic", bad.year, bad.seq)
				}
			}()
			NewSubjectNumber("京", bad.year, bad.seq)
		}()
	}
}
