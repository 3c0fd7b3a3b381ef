package page

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// opsBenchN is the number of orders of BenchmarkOpsPage: BEIAN_BENCH_N,
// or 10,000 so that `go test -bench` stays quick (CONVENTIONS.md habit
// 8); issue 7's figure is at BEIAN_BENCH_N=100000.
func opsBenchN(b *testing.B) int {
	if s := os.Getenv("BEIAN_BENCH_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("BEIAN_BENCH_N=%q", s)
		}
		return n
	}
	return 10000
}

// opsPath is the stage path of a first filing (Rule REV-8).
var opsPath = []beian.Stage{beian.StageDraft, beian.StageInitialReview, beian.StageVerification, beian.StagePhotoReview,
	beian.StageSMSConfirmation, beian.StageBureauReview, beian.StageApproved}

// opsSeed writes n orders created over the year before now with their
// stage histories (most approved, the others somewhere on the path, in
// every province) by multi-row inserts of 1,000 orders.
func opsSeed(b *testing.B, db *sqlstore.DB, n int, now time.Time) {
	ctx := context.Background()
	var acct int64
	err := db.SQL.QueryRowContext(ctx, `INSERT INTO provider_accounts (login, role, created_at) VALUES ('bench', 'customer', 0) RETURNING id`).Scan(&acct)
	if err != nil {
		b.Fatal(err)
	}
	var provinces []string
	for _, p := range refdata.Default().Provinces() {
		provinces = append(provinces, p.Code)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	hour := int64(time.Hour / time.Microsecond)
	end := sqlstore.Micro(now)
	for lo := 0; lo < n; lo += 1000 {
		var ob, sb strings.Builder
		ob.WriteString(`INSERT INTO orders (id, number, account_id, subject_key, type, stage, created_at, updated_at, stage_at) VALUES `)
		sb.WriteString(`INSERT INTO order_stages (order_id, from_stage, to_stage, event, province, entered_at, at) VALUES `)
		firstStage := true
		for i := lo; i < min(lo+1000, n); i++ {
			id := int64(i + 1)
			last := len(opsPath) - 1 // approved
			if rng.IntN(10) < 3 {
				last = rng.IntN(len(opsPath) - 1)
			}
			province := provinces[rng.IntN(len(provinces))]
			t := end - rng.Int64N(365*24*hour)
			at := []int64{t}
			for k := 1; k <= last; k++ {
				step := 2*hour + rng.Int64N(40*hour)
				if opsPath[k-1] == beian.StageBureauReview {
					step = 24 * hour * (10 + rng.Int64N(35))
				}
				at = append(at, at[k-1]+step)
			}
			stageAt := min(at[last], end)
			if i > lo {
				ob.WriteString(", ")
			}
			fmt.Fprintf(&ob, "(%d, 'B%08d', %d, 'k%d', 'first_filing', '%s', %d, %d, %d)", id, id, acct, id, opsPath[last], at[0], stageAt, stageAt)
			for k := 0; k <= last; k++ {
				if !firstStage {
					sb.WriteString(", ")
				}
				firstStage = false
				from, entered := "", at[0]
				if k > 0 {
					from, entered = string(opsPath[k-1]), at[k-1]
				}
				fmt.Fprintf(&sb, "(%d, '%s', '%s', 'bench', '%s', %d, %d)", id, from, opsPath[k], province, min(entered, end), min(at[k], end))
			}
		}
		if _, err := db.SQL.ExecContext(ctx, ob.String()); err != nil {
			b.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, sb.String()); err != nil {
			b.Fatal(err)
		}
	}
	if db.Driver == sqlstore.Postgres {
		_, _ = db.SQL.ExecContext(ctx, `ANALYZE`)
	}
}

// BenchmarkOpsPage renders /ops (issue 7: under 50 ms at p99 with 100,000
// orders) on each engine and reports the 99th percentile (p99-ms) beside
// the mean.
func BenchmarkOpsPage(b *testing.B) {
	n := opsBenchN(b)
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, beian.CST)
	clock := beian.NewManualClock(now)
	for _, eng := range sqltest.Engines(b) {
		db := sqltest.Open(b, eng, clock)
		opsSeed(b, db, n, now)
		var svc *provider.Service
		h := opsHandler(b, db, &svc)
		b.Run(fmt.Sprintf("%s/orders=%d", eng, n), func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				r := httptest.NewRequest("GET", "/ops", nil)
				r.Header.Set("X-Test-As", opsAdmin)
				w := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(w, r)
				times = append(times, time.Since(start))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
			slices.Sort(times)
			p99 := times[min(len(times)-1, len(times)*99/100)]
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}
