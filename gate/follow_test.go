package gate

import (
	"context"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
)

var t0 = time.Date(2026, 9, 28, 10, 0, 0, 0, beian.CST)

// fixture returns the provider store on db and a subject to hang websites on.
func fixture(t testing.TB, db *sqlstore.DB) (*providerdb.Store, int64) {
	t.Helper()
	ctx := context.Background()
	s, err := providerdb.New(db)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAccount(ctx, beian.Account{Login: "alice", Role: beian.RoleCustomer}, "x", "test")
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = db.SQL.QueryRowContext(ctx, `INSERT INTO subjects (account_id, subject_key, nature, name, cert_type, cert_number, province, status, created_at, updated_at)
		VALUES ($1, 'k', 'individual', '张三', 'resident_id', 'x', '330000', 'active', 1, 1) RETURNING id`, a.ID).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return s, id
}

func saveSite(t testing.TB, s *providerdb.Store, w beian.Website) beian.Website {
	t.Helper()
	ctx := context.Background()
	err := s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		var err error
		w, err = s.SaveWebsite(ctx, tx, w, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// eventually polls cond for up to 5 seconds of wall time; the gate's feed
// runs on real timers.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startGate(t testing.TB, db *sqlstore.DB, clock beian.Clock) *Gate {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := New(Options{DB: db, Clock: clock, Poll: 20 * time.Millisecond})
	g.Start(ctx)
	t.Cleanup(func() { cancel(); g.Wait() })
	eventually(t, "first snapshot", g.Ready)
	return g
}

// Rules GATE-1, GATE-2: the snapshot holds every known domain; changes
// made through another store (another process) reach the gate through the
// change feed; a change made through a store with the OnServable hook
// applies at once, before any poll.
func TestFollow(t *testing.T) {
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		s, subject := fixture(t, db)
		w := saveSite(t, s, beian.Website{SubjectID: subject, Name: "博客", Domains: []string{"example.com", "xn--fsqu00a.xn--fiqs8s"},
			Number: "浙ICP备2026000001号-1", Access: beian.GateServed})
		saveSite(t, s, beian.Website{SubjectID: subject, Name: "新站", Domains: []string{"pending.cn"}, Access: beian.GatePending})

		g := startGate(t, db, clock)
		if d := g.Detail("www.example.com"); !d.Allowed || d.WebsiteNumber != "浙ICP备2026000001号-1" {
			t.Fatalf("snapshot: %+v", d)
		}
		if r := g.Check("pending.cn"); r.Reason != beian.GatePending {
			t.Fatalf("snapshot: %+v", r)
		}

		t.Run("FeedCancel", func(t *testing.T) {
			w.Access = beian.GateAccessCancelled
			w = saveSite(t, s, w)
			eventually(t, "access_cancelled reaches the gate", func() bool { return g.Check("www.example.com").Reason == beian.GateAccessCancelled })
		})
		t.Run("FeedDomainLeaves", func(t *testing.T) {
			w.Access, w.Domains = beian.GateServed, []string{"example.com"}
			w = saveSite(t, s, w)
			eventually(t, "the removed domain is unfiled", func() bool {
				return g.Check("例子.中国").Reason == beian.GateUnfiled && g.Check("example.com").Allowed
			})
		})
		t.Run("InProcessAtOnce", func(t *testing.T) {
			// A gate whose feed never polls sees only Apply.
			slow := New(Options{DB: db, Clock: clock, Poll: time.Hour})
			ctx, cancel := context.WithCancel(context.Background())
			defer func() { cancel(); slow.Wait() }()
			slow.Start(ctx)
			eventually(t, "first snapshot", slow.Ready)
			hooked := *s
			hooked.OnServable = slow.Apply
			w.Access = beian.GateCancelled
			w = saveSite(t, &hooked, w)
			if r := slow.Check("example.com"); r.Reason != beian.GateCancelled {
				t.Fatalf("right after the commit: %+v", r)
			}
			// A failing transaction tells the gate nothing.
			_ = s.DB.InTx(context.Background(), func(tx *sqlstore.Tx) error {
				w2 := w
				w2.Access = beian.GateServed
				if _, err := hooked.SaveWebsite(context.Background(), tx, w2, "test"); err != nil {
					return err
				}
				return context.Canceled
			})
			if r := slow.Check("example.com"); r.Reason != beian.GateCancelled {
				t.Fatalf("after a rolled-back change: %+v", r)
			}
		})
	})
}

// Missing seqs are looked for again: a change whose seq is below the
// highest seen (a PostgreSQL transaction that committed late) still
// reaches the gate, and the row, not the change, is applied.
func TestFollowGap(t *testing.T) {
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s, subject := fixture(t, db)
		saveSite(t, s, beian.Website{SubjectID: subject, Name: "a", Domains: []string{"a.cn"}, Number: "浙ICP备2026000001号-1", Access: beian.GateServed})
		g := New(Options{DB: db, Clock: clock, Poll: time.Hour})
		f := &follower{g: g, gaps: map[int64]time.Time{}}
		if err := f.snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		top := f.high
		// Simulate seqs top+1 … top+4 held by open transactions while
		// top+5 commits.
		w := saveSite(t, s, beian.Website{SubjectID: subject, Name: "b", Domains: []string{"b.cn"}, Number: "浙ICP备2026000001号-2", Access: beian.GateServed})
		if _, err := db.SQL.ExecContext(ctx, `UPDATE servable_changes SET seq = $1 WHERE seq = $2`, top+5, top+1); err != nil {
			t.Fatal(err)
		}
		if _, err := f.poll(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.gaps) != 4 || !g.Check("b.cn").Allowed {
			t.Fatalf("gaps %v, b.cn %+v", f.gaps, g.Check("b.cn"))
		}
		// A late transaction commits seq top+2: its change names b.cn,
		// whose row is re-read.
		w.Access = beian.GateLapsed
		saveSite(t, s, w)
		if _, err := db.SQL.ExecContext(ctx, `UPDATE servable_changes SET seq = $1 WHERE domain = 'b.cn' AND reason = 'lapsed'`, top+2); err != nil {
			t.Fatal(err)
		}
		if _, err := f.poll(ctx); err != nil {
			t.Fatal(err)
		}
		if _, missing := f.gaps[top+2]; missing || len(f.gaps) != 3 {
			t.Fatalf("gaps after the late commit: %v", f.gaps)
		}
		if r := g.Check("b.cn"); r.Reason != beian.GateLapsed {
			t.Fatalf("after the late commit: %+v", r)
		}
		// A gap that never fills (a rollback) is given up after GapTimeout.
		clock.Set(clock.Now().Add(DefaultGapTimeout + time.Second))
		if _, err := f.poll(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.gaps) != 0 {
			t.Fatalf("gaps not given up: %v", f.gaps)
		}
	})
}

// The snapshot reads every row, however many and whatever their numbers
// hold: chunks of rowids with holes on SQLite, COPY's escapes on
// PostgreSQL, and rows with the chunks' separator bytes (Rule GATE-1).
func TestSnapshotRows(t *testing.T) {
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s, subject := fixture(t, db)
		w := saveSite(t, s, beian.Website{SubjectID: subject, Name: "a", Domains: []string{"a.cn"}, Number: "浙ICP备2026000001号-1", Access: beian.GateServed})
		const n = 2*sqlChunk + 1234
		if _, err := db.SQL.ExecContext(ctx, `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $1)
			INSERT INTO servable_domains (domain, website_id, website_number, reason, seq)
			SELECT 'd' || i || '.cn', $2, '京ICP证030173号', CASE WHEN i % 10 = 0 THEN 'lapsed' ELSE 'served' END, 0 FROM k`, n, w.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, `DELETE FROM servable_domains WHERE domain LIKE 'd%7.cn'`); err != nil {
			t.Fatal(err)
		}
		odd := map[string]string{"sep1.cn": "a\x1eb", "sep2.cn": "x\x1fy", "tab.cn": "tab\there", "back.cn": `back\slash`, "line.cn": "new\nline\r", "plain.cn": "粤ICP备12345678号-12"}
		for d, num := range odd {
			if _, err := db.SQL.ExecContext(ctx, `INSERT INTO servable_domains (domain, website_id, website_number, reason, seq) VALUES ($1, $2, $3, 'served', 0)`, d, w.ID, num); err != nil {
				t.Fatal(err)
			}
		}
		g := startGate(t, db, clock)
		if got, _ := g.Size(); got != 1+n-n/10+len(odd) {
			t.Errorf("%d domains, want %d", got, 1+n-n/10+len(odd))
		}
		for d, num := range odd {
			if det := g.Detail("www." + d); !det.Allowed || det.WebsiteNumber != num {
				t.Errorf("%s: %+v, want number %q", d, det, num)
			}
		}
		for _, tc := range []struct {
			host   string
			reason beian.GateReason
		}{{"d1.cn", beian.GateServed}, {"d7.cn", beian.GateUnfiled}, {"d20.cn", beian.GateLapsed}, {"www.d41233.cn", beian.GateServed}, {"d41237.cn", beian.GateUnfiled}} {
			if r := g.Check(tc.host); r.Reason != tc.reason {
				t.Errorf("%s: %+v, want %s", tc.host, r, tc.reason)
			}
		}
	})
}
