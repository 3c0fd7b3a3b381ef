package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// cliImportCSV has two good rows and one bad row (a domain on an
// unapproved TLD).
const cliImportCSV = "subject_number,unit_name,nature,province,website_number,website_name,domains,home_url,approved_on,providers\n" +
	"浙ICP备2026000040号,杭州甲科技有限公司,enterprise,浙江,浙ICP备2026000040号-1,甲官网,jia.com,www.jia.com,2026-01-05,阿里云\n" +
	"京ICP备12345678号,北京乙网络有限公司,企业,京,京ICP备12345678号-2,乙网站,yi.cn;yi.com,www.yi.cn,2015-06-30,西部数码;阿里云\n" +
	"浙ICP备2026000041号,杭州丙有限公司,enterprise,浙江,浙ICP备2026000041号-1,丙,bing.notatld,www.bing.notatld,2026-01-05,阿里云\n"

// dbURL returns the --db URL of a fresh database of the engine.
func dbURL(t *testing.T, eng string) string {
	t.Helper()
	d := sqltest.DSN(t, eng)
	if eng == sqlstore.SQLite {
		return "sqlite://" + d.Path
	}
	return d.URL
}

// `beian import registry`: the summary, the report, a rerun that skips
// what is there, flags after the file, --file, and the refusals.
func TestImportRegistryCommand(t *testing.T) {
	for _, eng := range sqltest.Engines(t) {
		t.Run(eng, func(t *testing.T) {
			db, dir := dbURL(t, eng), t.TempDir()
			file := filepath.Join(dir, "filings.csv")
			if err := os.WriteFile(file, []byte(cliImportCSV), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Run("ErrNotMigrated", func(t *testing.T) {
				code, _, stderr := invoke(t, nil, "import", "registry", "--db", db, file)
				if code != 1 || !strings.Contains(stderr, "beian migrate") {
					t.Fatalf("exit %d, stderr %q", code, stderr)
				}
			})
			if code, _, stderr := invoke(t, nil, "migrate", "--db", db); code != 0 {
				t.Fatalf("migrate: %s", stderr)
			}
			t.Run("OKImported", func(t *testing.T) {
				code, stdout, stderr := invoke(t, nil, "import", "registry", "--db", db, file)
				if code != 0 || !strings.Contains(stdout, "rows      3\nimported  2\nskipped   0 (already present)\nbad       1\n") ||
					!strings.Contains(stdout, "rows/s") || !strings.Contains(stdout, "report    "+filepath.Join(dir, "filings.bad.csv")) {
					t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
				}
				if !strings.Contains(stderr, "100.0%  3 rows, 1 bad") {
					t.Errorf("no progress line: %q", stderr)
				}
				f, err := os.Open(filepath.Join(dir, "filings.bad.csv"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				recs, err := csv.NewReader(f).ReadAll()
				if err != nil || len(recs) != 2 || recs[1][0] != "浙ICP备2026000041号" ||
					recs[1][10] != "domains[0]: web.domain_tld_not_approved [WEB-4]" || recs[1][11] != "4" {
					t.Fatalf("report %q %v", recs, err)
				}
			})
			t.Run("OKRerunFlagsAfterFile", func(t *testing.T) {
				report := filepath.Join(dir, "again.csv")
				code, stdout, stderr := invoke(t, nil, "import", "registry", file, "--db", db, "--report", report, "--batch", "1")
				if code != 0 || !strings.Contains(stdout, "imported  0\nskipped   2 (already present)\nbad       1\n") {
					t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
				}
				if _, err := os.Stat(report); err != nil {
					t.Fatal(err)
				}
			})
			t.Run("OKFileFlagFromEnv", func(t *testing.T) {
				code, stdout, stderr := invoke(t, map[string]string{"BEIAN_DB": db, "BEIAN_FILE": file}, "import", "registry")
				if code != 0 || !strings.Contains(stdout, "skipped   2") {
					t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
				}
			})
			bad := filepath.Join(dir, "bad.csv")
			if err := os.WriteFile(bad, []byte("number,name\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				args []string
				code int
				has  string
			}{
				{"ErrNoFile", []string{"--db", db}, 2, "name the CSV file"},
				{"ErrTwoFiles", []string{"--db", db, "--file", bad, file}, 2, "two files named"},
				{"ErrMissingFile", []string{"--db", db, filepath.Join(dir, "none.csv")}, 1, "open the import file"},
				{"ErrHeader", []string{"--db", db, bad}, 1, strings.Join(regulator.ImportHeader, ",")},
				{"ErrBatch", []string{"--db", db, "--batch", "0", file}, 2, "--batch must be at least 1"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					code, _, stderr := invoke(t, nil, append([]string{"import", "registry"}, tc.args...)...)
					if code != tc.code || !strings.Contains(stderr, tc.has) {
						t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.has)
					}
				})
			}
		})
	}
}

// `beian bench registry` on a small N: the table with its targets and the
// JSON; the other kinds say when they arrive.
func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	for _, eng := range sqltest.Engines(t) {
		t.Run("OK"+eng, func(t *testing.T) {
			db, out := "sqlite://"+filepath.Join(dir, "b.db"), filepath.Join(dir, eng+".json")
			if eng == sqlstore.Postgres {
				db = dbURL(t, eng)
			}
			code, stdout, stderr := invoke(t, nil, "bench", "--n", "300", "registry", "--db", db, "--queries", "30", "--json", out)
			if code != 0 || !strings.Contains(stdout, "import / bulk load") || !strings.Contains(stdout, "lookup by domain (30, 30 found)") ||
				!strings.Contains(stdout, "p99 < 2 ms") {
				t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
			}
			var res benchResult
			if b, err := os.ReadFile(out); err != nil || json.Unmarshal(b, &res) != nil || res.Rows != 300 || res.Engine != eng ||
				res.ImportRate <= 0 || res.BulkRate <= 0 || len(res.Lookups) != 3 {
				t.Fatalf("json %+v %v", res, err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "b.db.bulk")); !os.IsNotExist(err) {
		t.Errorf("the bulk-load scratch file is left behind: %v", err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		has  string
	}{
		{"OKGate", []string{"bench", "gate", "--n", "1000"}, 0, "building the index of 1000 synthetic domains"},
		{"ErrAPINoDB", []string{"bench", "api"}, 2, "needs --db"},
		{"ErrUnknownKind", []string{"bench", "disk"}, 2, "registry, gate or api"},
		{"ErrNoDB", []string{"bench", "registry"}, 2, "needs --db URL"},
		{"ErrNotEmpty", []string{"bench", "registry", "--db", "sqlite://" + filepath.Join(dir, "b.db"), "--n", "10"}, 1, "already holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := invoke(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.has) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.has)
			}
		})
	}
}
