package regulator

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// Rule QRY-1: the public query by domain (a subdomain finds its registrable
// domain; IDN accepted), by subject or website number, by subject-name
// prefix (paginated; personal subjects masked and not found by name);
// cancelled filings are not found.
func TestQuery(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		w1 := e.website(t, a, "甲公司官网", []string{"jia-one.com", "例子.中国"})
		w2 := e.website(t, a, "甲公司商城", []string{"jia-two.com"})
		p := e.subject(t, "浙江", "individual", "张三丰", "resident_id", "330106199001011234")
		wp := e.website(t, p, "三丰的博客", []string{"zhang-blog.cn"})
		for i := range 4 {
			s := e.org(t, fmt.Sprintf("杭州甲科技分公司%d", i), fmt.Sprintf("91330100MA000010%dX", i))
			e.website(t, s, "分公司网站", []string{fmt.Sprintf("branch%d.com", i)})
		}
		gone := e.org(t, "杭州甲科技已注销公司", "91330100MA0000099X")
		wg := e.website(t, gone, "注销网站", []string{"gone.com"})
		if _, err := e.CancelSubject(e.ctx, gone.Number, "subject_request"); err != nil {
			t.Fatal(err)
		}
		domains := func(res QueryResult) string {
			var out []string
			for _, it := range res.Items {
				out = append(out, it.ServiceLicence+" "+it.Domain)
			}
			return strings.Join(out, "; ")
		}
		for _, tc := range []struct {
			name  string
			q     QueryRequest
			want  string
			total int
		}{
			{"OKDomain", QueryRequest{Domain: "jia-two.com"}, w2.Number + " jia-two.com", 1},
			{"OKSubdomain", QueryRequest{Domain: "a.b.www.JIA-ONE.com."}, w1.Number + " jia-one.com", 1},
			{"OKIDN", QueryRequest{Domain: "www.例子.中国"}, w1.Number + " 例子.中国", 1},
			{"OKIDNPunycode", QueryRequest{Domain: "xn--fsqu00a.xn--fiqs8s"}, w1.Number + " 例子.中国", 1},
			{"OKWebsiteNumber", QueryRequest{Number: w1.Number}, w1.Number + " jia-one.com; " + w1.Number + " 例子.中国", 2},
			{"OKSubjectNumber", QueryRequest{Number: a.Number}, w1.Number + " jia-one.com; " + w1.Number + " 例子.中国; " + w2.Number + " jia-two.com", 3},
			{"OKPersonalByNumber", QueryRequest{Number: wp.Number}, wp.Number + " zhang-blog.cn", 1},
			{"OKPersonalByDomain", QueryRequest{Domain: "zhang-blog.cn"}, wp.Number + " zhang-blog.cn", 1},
			{"OKNamePrefixPage1", QueryRequest{Name: "杭州甲科技", PageSize: 2}, "", 7},
			{"OKPersonalNotFoundByName", QueryRequest{Name: "张三丰"}, "", 0},
			{"OKCancelledNotFoundByDomain", QueryRequest{Domain: "gone.com"}, "", 0},
			{"OKCancelledNotFoundByNumber", QueryRequest{Number: wg.Number}, "", 0},
			{"OKCancelledSubjectNotFound", QueryRequest{Number: gone.Number}, "", 0},
			{"OKUnknownDomain", QueryRequest{Domain: "nobody.com"}, "", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := e.Query(e.ctx, tc.q)
				if err != nil || res.Total != tc.total || (tc.want != "" && domains(res) != tc.want) || res.Items == nil {
					t.Fatalf("%s (total %d), %v; want %s (total %d)", domains(res), res.Total, err, tc.want, tc.total)
				}
			})
		}
		t.Run("OKPagination", func(t *testing.T) {
			var seen []string
			for page := 1; page <= 4; page++ {
				res, err := e.Query(e.ctx, QueryRequest{Name: "杭州甲科技", Page: page, PageSize: 3})
				if err != nil || res.Page != page || res.Total != 7 {
					t.Fatalf("page %d: %+v, %v", page, res, err)
				}
				for _, it := range res.Items {
					seen = append(seen, it.ServiceLicence+it.Domain)
				}
				if want := min(3, 7-3*(page-1)); len(res.Items) != max(want, 0) {
					t.Fatalf("page %d holds %d items", page, len(res.Items))
				}
			}
			sort.Strings(seen)
			if len(seen) != 7 || len(slices.Compact(seen)) != 7 {
				t.Fatalf("pages hold %v", seen)
			}
		})
		t.Run("OKPublicFields", func(t *testing.T) {
			res, _ := e.Query(e.ctx, QueryRequest{Domain: "zhang-blog.cn"})
			it := res.Items[0]
			want := PublicFiling{UnitName: "张**", NatureName: "个人", MainLicence: p.Number, ServiceLicence: wp.Number, ServiceName: "三丰的博客",
				HomeURL: "www.zhang-blog.cn", Domain: "zhang-blog.cn", ContentTypeName: "单位门户网站", LimitAccess: "否", UpdateRecordTime: "2026-03-02 10:00:00"}
			if it != want {
				t.Fatalf("item %+v\nwant %+v", it, want)
			}
		})
		for _, tc := range []struct {
			name string
			q    QueryRequest
			code string
		}{
			{"ErrNone", QueryRequest{}, "registry.query_one_of"},
			{"ErrTwo", QueryRequest{Domain: "a.com", Number: a.Number}, "registry.query_one_of"},
			{"ErrPageSize", QueryRequest{Name: "杭州甲", PageSize: 51}, "registry.query_page"},
			{"ErrPage", QueryRequest{Name: "杭州甲", Page: -1}, "registry.query_page"},
			{"ErrDomain", QueryRequest{Domain: "http://"}, "registry.query_domain_invalid"},
			{"ErrNumber", QueryRequest{Number: "ICP-123"}, "registry.query_number_invalid"},
			{"ErrNameShort", QueryRequest{Name: " 杭 "}, "registry.query_name_short"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.Query(e.ctx, tc.q)
				if !beian.IsKind(err, beian.KindBadRequest) || codeOf(err) != tc.code {
					t.Fatalf("err %v, want %s", err, tc.code)
				}
			})
		}
		t.Run("OKNameWildcardsAreLiteral", func(t *testing.T) {
			for _, name := range []string{"杭州%", "杭州_甲", `杭州\`} {
				if res, err := e.Query(e.ctx, QueryRequest{Name: name}); err != nil || res.Total != 0 {
					t.Fatalf("%s: %d, %v", name, res.Total, err)
				}
			}
		})
	})
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张三丰": "张**", "李四": "李*", "王": "王", "": "", " 欧阳娜娜 ": "欧***"} {
		if got := maskName(in); got != want {
			t.Errorf("maskName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Rule QRY-1 at scale (PRODUCT.md: millions of filings): the name-prefix
// search reads the unit_name index on both engines, and the domain and
// number searches their unique indexes.
func TestQueryUsesIndexes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name  string
			q     QueryRequest
			index string // as SQLite | PostgreSQL name it
		}{
			{"OKNamePrefix", QueryRequest{Name: "杭州甲科技"}, "registry_subjects_unit_name|registry_subjects_unit_name"},
			{"OKDomain", QueryRequest{Domain: "www.jia-one.com"}, "registry_website_domains_active|registry_website_domains_active"},
			{"OKWebsiteNumber", QueryRequest{Number: "浙ICP备2026000001号-2"}, "registry_websites_1 (number=?)|registry_websites_number_key"},
			{"OKSubjectNumber", QueryRequest{Number: "浙ICP备2026000001号"}, "registry_subjects_1 (number=?)|registry_subjects_number_key"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				from, args, err := e.queryFrom(tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var plan []string
				err = e.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
					explain := `EXPLAIN QUERY PLAN `
					if tx.Driver == sqlstore.Postgres {
						// The tables are empty: make the planner show what it can use.
						if _, err := tx.ExecContext(e.ctx, `SET LOCAL enable_seqscan = off`); err != nil {
							return err
						}
						explain = `EXPLAIN `
					}
					rows, err := tx.QueryContext(e.ctx, explain+`SELECT COUNT(*)`+from, args...)
					if err != nil {
						return err
					}
					defer rows.Close()
					cols, _ := rows.Columns()
					for rows.Next() {
						vals := make([]any, len(cols))
						ptrs := make([]any, len(cols))
						for i := range vals {
							ptrs[i] = &vals[i]
						}
						if err := rows.Scan(ptrs...); err != nil {
							return err
						}
						plan = append(plan, fmt.Sprint(vals...))
					}
					return rows.Err()
				})
				all := strings.Join(plan, "\n")
				lite, pg, _ := strings.Cut(tc.index, "|")
				want := map[string]string{sqlstore.SQLite: lite, sqlstore.Postgres: pg}[e.DB.Driver]
				if err != nil || !strings.Contains(all, want) || strings.Contains(all, "SCAN ") || strings.Contains(all, "Seq Scan") {
					t.Fatalf("plan does not use %s or scans a table (%v):\n%s", want, err, strings.Join(plan, "\n"))
				}
			})
		}
	})
}
