package regulator

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// importCSV is a small import file: four good rows and one bad row of each
// kind, in batches of three so that checks cross batch boundaries.
const importCSV = "\ufeffsubject_number,unit_name,nature,province,website_number,website_name,domains,home_url,approved_on,providers\n" +
	"浙ICP备2026000040号,杭州甲科技有限公司,enterprise,浙江,浙ICP备2026000040号-1,甲官网,jia.com;例子.中国,www.jia.com,2026-01-05,阿里云;腾讯云\n" +
	"浙ICP备2026000040号,杭州甲科技有限公司,企业,浙,浙ICP备2026000040号-3,甲商城,jia-shop.com,http://www.jia-shop.com,2026-01-06,阿里云\n" +
	"京ICP备12345678号,北京乙网络有限公司,enterprise,110000,京ICP备12345678号-2,乙网站,yi.cn,www.yi.cn,2015-06-30,西部数码\n" +
	"浙ICP备20260号,杭州丙有限公司,enterprise,浙江,浙ICP备20260号-1,丙,bing.com,www.bing.com,2026-01-05,阿里云\n" +
	"浙ICP备2026000041号,杭州丁有限公司,enterprise,浙江,浙ICP备2026000042号-1,丁,ding.com,www.ding.com,2026-01-05,阿里云\n" +
	"浙ICP备2026000043号,杭州戊有限公司,enterprise,火星,浙ICP备2026000043号-1,戊,wu.com,www.wu.com,2026-01-05,阿里云\n" +
	"浙ICP备2026000043号,杭州戊有限公司,enterprise,北京,浙ICP备2026000043号-1,戊,wu.com,www.wu.com,2026-01-05,阿里云\n" +
	"浙ICP备2026000043号,杭州戊有限公司,enterprise,浙江,浙ICP备2026000043号-1,戊,wu.notatld,www.wu.com,2026-01-05,阿里云\n" +
	"浙ICP备2026000043号,杭州戊有限公司,enterprise,浙江,浙ICP备2026000043号-1,戊,JIA.com,www.jia.com,2026-01-05,阿里云\n" +
	"浙ICP备2026000043号,杭州戊有限公司,enterprise,浙江,浙ICP备2026000043号-1,戊,wu.com,www.wu.com,2026-13-01,阿里云\n" +
	"浙ICP备2026000044号,张三丰,个人,浙江,浙ICP备2026000044号-1,三丰的博客,zhang-blog.cn,www.zhang-blog.cn,2026-02-01,阿里云\n" +
	"浙ICP备2026000045号,张四,individual,浙江,浙ICP备2026000045号-1,张四的博客,zhang-blog.cn,www.zhang-blog.cn,2026-02-01,阿里云\n" +
	"浙ICP备2026000046号,short row\n"

// wantReasons is the report's reason per bad line.
var wantReasons = map[int]string{
	5:  "subject_number: num.serial_length [NUM-1]; website_number: num.serial_length [NUM-1]",
	6:  "website_number: import.number_mismatch [NUM-1] (浙ICP备2026000041号)",
	7:  "province: registry.province_unknown [SUBJ-4]",
	8:  "province: import.province_mismatch [SUBJ-4]",
	9:  "domains[0]: web.domain_tld_not_approved [WEB-4]",
	10: "domains[0]: registry.domain_conflict [WEB-4] (浙ICP备2026000040号-1)",
	11: "approved_on: import.date_invalid",
	13: "domains[0]: registry.domain_conflict [WEB-4] (浙ICP备2026000044号-1)",
	14: "import.row_fields",
}

// runImport imports importCSV in batches of three and returns the stats and
// the report's reasons by line.
func runImport(tb testing.TB, ctx context.Context, r *Registry, progress func(done, bad int)) (ImportStats, map[int]string, error) {
	tb.Helper()
	var rep bytes.Buffer
	im := &Importer{Registry: r, Batch: 3, Report: &rep, Progress: progress, Source: "test.csv"}
	st, err := im.Import(ctx, strings.NewReader(importCSV))
	recs, rerr := csv.NewReader(&rep).ReadAll()
	if rerr != nil || len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(ImportHeader, ",")+",reason,line" {
		tb.Fatalf("report: %v %q", rerr, recs)
	}
	got := map[int]string{}
	for _, rec := range recs[1:] {
		line, _ := strconv.Atoi(rec[len(rec)-1])
		got[line] = rec[len(rec)-2]
	}
	return st, got, err
}

// tableCounts describes what the registry holds, to compare two imports.
func tableCounts(tb testing.TB, db *sqlstore.DB) string {
	tb.Helper()
	var out []string
	for _, q := range []string{
		`SELECT COUNT(*) FROM registry_subjects WHERE status = 'active' AND cert_key = ''`,
		`SELECT COUNT(*) FROM registry_websites`, `SELECT COUNT(*) FROM registry_website_domains WHERE active = 1`,
		`SELECT COUNT(*) FROM registry_access WHERE until = 0`, `SELECT COUNT(*) FROM registry_status_history`,
		`SELECT COALESCE(SUM(next_site), 0) FROM registry_subjects`, `SELECT COALESCE(SUM(next), 0) FROM registry_serials`,
		`SELECT COUNT(*) FROM registry_audit WHERE action = 'registry.import'`,
	} {
		var n int
		if err := db.SQL.QueryRow(q).Scan(&n); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		out = append(out, strconv.Itoa(n))
	}
	return strings.Join(out, " ")
}

// subjects 040, 京, 044; websites 040-1, 040-3, 京-2, 044-1; domains 2+1+1+1;
// access 2+1+1+1; history 3+4; next_site 4+3+2; serials 浙2026 next 45;
// audit: the batches of lines 2-4 and 11-13.
const wantCounts = "3 4 5 5 7 9 45 2"

func TestImport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := WithActor(e.ctx, "import")
		st, reasons, err := runImport(t, ctx, e.Registry, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OKCountsAndReport", func(t *testing.T) {
			if want := (ImportStats{Rows: 13, Imported: 4, Skipped: 0, Bad: 9, Subjects: 3}); st != want {
				t.Errorf("stats %+v, want %+v", st, want)
			}
			if fmt.Sprint(reasons) != fmt.Sprint(wantReasons) {
				t.Errorf("report reasons:\n%v\nwant\n%v", reasons, wantReasons)
			}
			if got := tableCounts(t, e.DB); got != wantCounts {
				t.Errorf("counts %s, want %s", got, wantCounts)
			}
		})
		t.Run("OKRerunImportsNothing", func(t *testing.T) {
			st, again, err := runImport(t, ctx, e.Registry, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := (ImportStats{Rows: 13, Skipped: 4, Bad: 9}); st != want {
				t.Errorf("rerun stats %+v, want %+v", st, want)
			}
			if fmt.Sprint(again) != fmt.Sprint(wantReasons) {
				t.Errorf("rerun report %v", again)
			}
			if got := tableCounts(t, e.DB); got != wantCounts {
				t.Errorf("counts after rerun %s, want %s", got, wantCounts)
			}
		})
		t.Run("OKFoundByQuery", func(t *testing.T) {
			for _, tc := range []struct {
				q    QueryRequest
				want string
			}{
				{QueryRequest{Domain: "www.jia.com"}, "浙ICP备2026000040号-1 jia.com 杭州甲科技有限公司 2026-01-05 00:00:00"},
				{QueryRequest{Number: "浙ICP备2026000040号"}, "浙ICP备2026000040号-1 jia.com 杭州甲科技有限公司 2026-01-05 00:00:00; 浙ICP备2026000040号-1 例子.中国 杭州甲科技有限公司 2026-01-05 00:00:00; 浙ICP备2026000040号-3 jia-shop.com 杭州甲科技有限公司 2026-01-06 00:00:00"},
				{QueryRequest{Number: "京ICP备12345678号-2"}, "京ICP备12345678号-2 yi.cn 北京乙网络有限公司 2015-06-30 00:00:00"},
				{QueryRequest{Name: "北京乙"}, "京ICP备12345678号-2 yi.cn 北京乙网络有限公司 2015-06-30 00:00:00"},
				{QueryRequest{Domain: "zhang-blog.cn"}, "浙ICP备2026000044号-1 zhang-blog.cn 张** 2026-02-01 00:00:00"},
				{QueryRequest{Name: "张三丰"}, ""},
			} {
				res, err := e.Query(e.ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, it := range res.Items {
					got = append(got, it.ServiceLicence+" "+it.Domain+" "+it.UnitName+" "+it.UpdateRecordTime)
				}
				if strings.Join(got, "; ") != tc.want {
					t.Errorf("%+v: %q, want %q", tc.q, strings.Join(got, "; "), tc.want)
				}
			}
		})
		t.Run("OKNewNumbersAboveImported", func(t *testing.T) {
			s := e.org(t, "杭州新公司", "91330100MA0000001A")
			if s.Number != "浙ICP备2026000045号" {
				t.Errorf("new subject number %s, want 浙ICP备2026000045号", s.Number)
			}
			var id int64
			if err := e.DB.SQL.QueryRow(`SELECT id FROM registry_subjects WHERE number = '浙ICP备2026000040号'`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			w, err := e.AddWebsite(e.ctx, id, WebsiteInput{Name: "甲新站", HomeURL: "www.jia-new.com", Domains: []string{"jia-new.com"}})
			if err != nil || w.Number != "浙ICP备2026000040号-4" {
				t.Errorf("new website %s, %v; want 浙ICP备2026000040号-4", w.Number, err)
			}
		})
	})
}

// A crash after the first batch, then a rerun, leaves the registry as one
// uninterrupted import would.
func TestImportResumesAfterCrash(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(e.ctx)
		st, _, err := runImport(t, ctx, e.Registry, func(done, bad int) { cancel() })
		if !errors.Is(err, context.Canceled) || st.Rows != 3 || st.Imported != 3 {
			t.Fatalf("interrupted import: %+v, %v", st, err)
		}
		st, reasons, err := runImport(t, e.ctx, e.Registry, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := (ImportStats{Rows: 13, Imported: 1, Skipped: 3, Bad: 9, Subjects: 1}); st != want {
			t.Errorf("resumed stats %+v, want %+v", st, want)
		}
		if fmt.Sprint(reasons) != fmt.Sprint(wantReasons) {
			t.Errorf("resumed report %v", reasons)
		}
		if got := tableCounts(t, e.DB); got != wantCounts {
			t.Errorf("counts after resume %s, want %s (one uninterrupted import)", got, wantCounts)
		}
	})
}

// The header is checked exactly: a reordered or missing column is refused
// with the expected header in the message; an empty file too.
func TestImportHeader(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for name, in := range map[string]string{
			"ErrReordered": "unit_name,subject_number,nature,province,website_number,website_name,domains,home_url,approved_on,providers\n",
			"ErrMissing":   "subject_number,unit_name\n",
			"ErrEmpty":     "",
		} {
			t.Run(name, func(t *testing.T) {
				_, err := (&Importer{Registry: e.Registry}).Import(e.ctx, strings.NewReader(in))
				if !errors.Is(err, ErrImportHeader) || !strings.Contains(err.Error(), strings.Join(ImportHeader, ",")) {
					t.Errorf("err %v", err)
				}
			})
		}
	})
}

// BenchmarkImport imports BEIAN_BENCH_N synthetic filings into a fresh
// database per engine and reports rows/s; it skips when the variable is
// unset, so `go test ./...` stays fast (`beian bench registry` is the full
// benchmark).
func BenchmarkImport(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("BEIAN_BENCH_N"))
	if n <= 0 {
		b.Skip("BEIAN_BENCH_N not set")
	}
	var file bytes.Buffer
	if _, err := WriteSynthetic(&file, n, 1, 0); err != nil {
		b.Fatal(err)
	}
	for _, eng := range sqltest.Engines(b) {
		b.Run(eng, func(b *testing.B) {
			var rows int
			var spent time.Duration
			for b.Loop() {
				b.StopTimer()
				r, err := New(sqltest.Open(b, eng, beian.NewManualClock(t0)))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				st, err := (&Importer{Registry: r}).Import(context.Background(), bytes.NewReader(file.Bytes()))
				if err != nil || st.Imported != n {
					b.Fatalf("%+v %v", st, err)
				}
				rows, spent = rows+n, spent+time.Since(start)
			}
			b.ReportMetric(float64(rows)/spent.Seconds(), "rows/s")

		})
	}
}

// Every import.* code written in import.go is listed by ImportCodes, and
// every listed code is used.
func TestImportCodesListed(t *testing.T) {
	src, err := os.ReadFile("import.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`"(import\.[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		used[m[1]] = true
	}
	codes := ImportCodes()
	for c := range used {
		if _, ok := codes[c]; !ok {
			t.Errorf("import.go uses %s, which ImportCodes does not list", c)
		}
	}
	for c := range codes {
		if !used[c] {
			t.Errorf("ImportCodes lists %s, which import.go does not use", c)
		}
	}
}

// Rows against what the registry already holds: a website for a subject
// filed the ordinary way (its next_site advances past the import), a
// cancelled subject, a subject with another name, a domain held by an
// ordinary website, a number twice in one batch, a broken CSV quote.
func TestImportAgainstRegistry(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		held := e.website(t, a, "甲官网", []string{"jia.com"})
		gone := e.org(t, "杭州乙有限公司", "91330100MA0000002B")
		if _, err := e.CancelSubject(e.ctx, gone.Number, "subject_request"); err != nil {
			t.Fatal(err)
		}
		row := func(subject, unit, site, domain string) string {
			return subject + "," + unit + ",enterprise,浙江," + subject + "-" + site + ",站," + domain + ",www." + domain + ",2026-01-05,阿里云\n"
		}
		in := strings.Join(ImportHeader, ",") + "\n" +
			row(a.Number, "杭州甲科技有限公司", "5", "jia-five.com") +
			row(gone.Number, "杭州乙有限公司", "2", "yi-two.com") +
			row(a.Number, "杭州甲科技另一公司", "6", "jia-six.com") +
			row("浙ICP备2026000050号", "杭州丙有限公司", "1", "jia.com") +
			row("浙ICP备2026000051号", "杭州丁有限公司", "1", "ding.com") +
			row("浙ICP备2026000051号", "杭州丁有限公司", "1", "ding2.com") +
			"浙ICP备2026000052号,\"杭州\"戊\",enterprise,浙江,浙ICP备2026000052号-1,站,wu.com,www.wu.com,2026-01-05,阿里云\n"
		var rep bytes.Buffer
		st, err := (&Importer{Registry: e.Registry, Report: &rep}).Import(e.ctx, strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		if want := (ImportStats{Rows: 7, Imported: 2, Bad: 5, Subjects: 1}); st != want {
			t.Errorf("stats %+v, want %+v", st, want)
		}
		recs, _ := csv.NewReader(&rep).ReadAll()
		var got []string
		for _, r := range recs[1:] {
			got = append(got, r[len(r)-1]+" "+r[len(r)-2])
		}
		want := []string{
			"3 subject_number: registry.not_active [CAN-3] (" + gone.Number + ")",
			"4 subject_number: import.subject_mismatch (" + a.Number + ")",
			"5 domains[0]: registry.domain_conflict [WEB-4] (" + held.Number + ")",
			"7 website_number: import.website_duplicate [NUM-1]",
			"8 import.row_malformed",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("report:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		t.Run("OKNextSiteAdvanced", func(t *testing.T) {
			w := e.website(t, a, "甲新站", []string{"jia-new.com"})
			if w.Number != a.Number+"-6" {
				t.Errorf("next website %s, want %s-6", w.Number, a.Number)
			}
		})
	})
}
