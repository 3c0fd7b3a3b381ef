package providerdb_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
)

// eligibleResource returns a resource of the account that qualifies on t0
// (Rule ACC-2): active, prepaid, mainland, a public IP, a year's term
// around t0. Tests change one field to break one condition.
func eligibleResource(acct beian.Account, ext string) beian.Resource {
	return beian.Resource{AccountID: acct.ID, ExternalID: ext, Billing: beian.Prepaid, Mainland: true, Active: true,
		PublicIPs: []string{"203.0.113.10"}, TermStart: t0.AddDate(0, -1, 0), TermEnd: t0.AddDate(0, 11, 0)}
}

// resource creates r and fails the test on an error.
func resource(t testing.TB, s *providerdb.Store, r beian.Resource) beian.Resource {
	t.Helper()
	out, err := s.CreateResource(context.Background(), r, "test")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Rule ACC-2: a resource's own fields are checked when it is stored.
func TestCreateResource(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a := customer(t, s, "alice")
		for _, tc := range []struct {
			name   string
			change func(r *beian.Resource)
			kind   beian.Kind
			code   string // with its rule, when kind is invalid or conflict
			rule   string
		}{
			{"OK", func(r *beian.Resource) {
				r.PublicIPs = []string{" 2001:db8::0:1 ", "203.0.113.10", "::ffff:203.0.113.10"}
			}, "", "", ""},
			{"ErrBillingUnknown", func(r *beian.Resource) { r.Billing = "monthly" }, beian.KindInvalid, "resource.billing_unknown", "ACC-2"},
			{"ErrTermInvalid", func(r *beian.Resource) { r.TermEnd = r.TermStart }, beian.KindInvalid, "resource.term_invalid", "ACC-2"},
			{"ErrIPInvalid", func(r *beian.Resource) { r.PublicIPs = []string{"203.0.113.300"} }, beian.KindInvalid, "resource.ip_invalid", "ACC-2"},
			{"ErrIPNotPublic", func(r *beian.Resource) { r.PublicIPs = []string{"10.1.2.3"} }, beian.KindInvalid, "resource.ip_not_public", "ACC-2"},
			{"ErrIPSharedAddressSpace", func(r *beian.Resource) { r.PublicIPs = []string{"100.64.0.9"} }, beian.KindInvalid, "resource.ip_not_public", "ACC-2"},
			{"ErrExternalIDRequired", func(r *beian.Resource) { r.ExternalID = " " }, beian.KindInvalid, "resource.external_id_required", ""},
			{"ErrAccountUnknown", func(r *beian.Resource) { r.AccountID = 9999 }, beian.KindInvalid, "resource.account_unknown", ""},
			{"ErrExternalIDTaken", func(r *beian.Resource) { r.ExternalID = "ins-ok" }, beian.KindConflict, "resource.external_id_taken", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := eligibleResource(a, "ins-"+strings.ToLower(strings.TrimPrefix(tc.name, "Err")))
				tc.change(&r)
				got, err := s.CreateResource(ctx, r, "account:alice")
				if tc.kind == "" {
					if err != nil {
						t.Fatal(err)
					}
					if want := []string{"2001:db8::1", "203.0.113.10"}; !slices.Equal(got.PublicIPs, want) {
						t.Errorf("IPs %v, want canonical, sorted, unique %v", got.PublicIPs, want)
					}
					if got.ID == 0 || !got.CreatedAt.Equal(t0) || !got.Active || !got.Mainland {
						t.Errorf("stored %+v", got)
					}
					again, err := s.Resource(ctx, got.ID)
					if err != nil || !slices.Equal(again.PublicIPs, got.PublicIPs) || !again.TermEnd.Equal(r.TermEnd) {
						t.Errorf("read back %+v %v", again, err)
					}
					if recs, err := s.Audit.Records(ctx, db, "resource", itoa(got.ID)); err != nil || len(recs) != 1 || recs[0].Action != "resource.create" {
						t.Errorf("audit %+v %v", recs, err)
					}
					return
				}
				if !beian.IsKind(err, tc.kind) || !hasProblem(err, tc.code, tc.rule) {
					t.Fatalf("got %v, want %s with %s (%s)", err, tc.kind, tc.code, tc.rule)
				}
			})
		}
		t.Run("ErrOtherTenantNotFound", func(t *testing.T) {
			b := customer(t, s, "bob")
			mine := resource(t, s, eligibleResource(a, "ins-mine"))
			if _, err := s.ResourceOf(ctx, b.ID, mine.ID); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("another account's resource: %v", err)
			}
			if rs, err := s.ResourcesOf(ctx, b.ID); err != nil || len(rs) != 0 {
				t.Fatalf("bob's resources: %v %v", rs, err)
			}
			if _, err := s.Resource(ctx, 12345); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("missing resource: %v", err)
			}
		})
	})
}

// Rule ACC-2: the billing system's bulk import creates and updates by
// external ID in one transaction; a bad row writes nothing.
func TestImportResources(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a, b := customer(t, s, "alice"), customer(t, s, "bob")
		first := []beian.Resource{eligibleResource(a, "ins-1"), eligibleResource(a, "ins-2")}
		created, updated, err := s.ImportResources(ctx, first, "billing")
		if err != nil || created != 2 || updated != 0 {
			t.Fatalf("first import: %d created, %d updated, %v", created, updated, err)
		}
		t.Run("OKUpsert", func(t *testing.T) {
			moved := eligibleResource(b, "ins-2") // moved to bob, now postpaid
			moved.Billing = beian.Postpaid
			created, updated, err := s.ImportResources(ctx, []beian.Resource{first[0], moved, eligibleResource(b, "ins-3")}, "billing")
			if err != nil || created != 1 || updated != 1 {
				t.Fatalf("upsert: %d created, %d updated, %v", created, updated, err)
			}
			as, _ := s.ResourcesOf(ctx, a.ID)
			bs, _ := s.ResourcesOf(ctx, b.ID)
			if len(as) != 1 || len(bs) != 2 || bs[0].ExternalID != "ins-2" || bs[0].Billing != beian.Postpaid {
				t.Fatalf("after upsert: alice %+v, bob %+v", as, bs)
			}
			recs, err := s.Audit.Records(ctx, db, "resource", itoa(bs[0].ID))
			if err != nil || len(recs) != 2 || recs[1].Before == "" {
				t.Fatalf("audit of the updated resource: %+v %v", recs, err)
			}
		})
		for _, tc := range []struct {
			name, code, field string
			rows              []beian.Resource
		}{
			{"ErrDuplicateExternalID", "resource.external_id_duplicate", "resources[1].external_id",
				[]beian.Resource{eligibleResource(a, "ins-9"), eligibleResource(a, "ins-9")}},
			{"ErrBadRow", "resource.billing_unknown", "resources[1].billing",
				[]beian.Resource{eligibleResource(a, "ins-9"), {AccountID: a.ID, ExternalID: "ins-10", TermStart: t0, TermEnd: t0.Add(time.Hour)}}},
			{"ErrAccountUnknown", "resource.account_unknown", "resources[1].account_id",
				[]beian.Resource{eligibleResource(a, "ins-9"), eligibleResource(beian.Account{ID: 777}, "ins-10")}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := s.ImportResources(ctx, tc.rows, "billing")
				var e *beian.Error
				if !asErr(err, &e) || e.Kind != beian.KindInvalid || !slices.ContainsFunc(e.Problems, func(p beian.Problem) bool {
					return p.Code == tc.code && p.Field == tc.field
				}) {
					t.Fatalf("got %v, want %s at %s", err, tc.code, tc.field)
				}
				if as, _ := s.ResourcesOf(ctx, a.ID); len(as) != 1 {
					t.Fatalf("a failed import wrote rows: %+v", as)
				}
			})
		}
		if _, err := s.Audit.Verify(ctx, db, ""); err != nil {
			t.Fatal(err)
		}
	})
}

// Rule ACC-2: which resources can carry a filing on a date.
func TestEligibleResources(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a, b := customer(t, s, "alice"), customer(t, s, "bob")
		// 31 August + 3 months is clamped to 30 November (CAL-0).
		aug31 := time.Date(2026, 8, 31, 10, 0, 0, 0, beian.CST)
		cases := []struct {
			name     string
			change   func(r *beian.Resource)
			eligible bool
		}{
			{"OK", func(r *beian.Resource) {}, true},
			{"OKExactlyThreeMonthsClamped", func(r *beian.Resource) { r.TermStart, r.TermEnd = aug31, aug31.AddDate(0, 2, 30) }, true},
			{"ErrTermTooShort", func(r *beian.Resource) { r.TermStart, r.TermEnd = aug31, aug31.AddDate(0, 2, 30).Add(-time.Minute) }, false},
			{"ErrPostpaid", func(r *beian.Resource) { r.Billing = beian.Postpaid }, false},
			{"ErrInactive", func(r *beian.Resource) { r.Active = false }, false},
			{"ErrNotMainland", func(r *beian.Resource) { r.Mainland = false }, false},
			{"ErrNoPublicIP", func(r *beian.Resource) { r.PublicIPs = nil }, false},
			{"ErrTermEnded", func(r *beian.Resource) { r.TermStart, r.TermEnd = t0.AddDate(-1, 0, 0), t0 }, false},
			{"ErrTermNotStarted", func(r *beian.Resource) { r.TermStart, r.TermEnd = t0.Add(time.Hour), t0.AddDate(1, 0, 0) }, false},
		}
		want := map[string]bool{}
		for _, tc := range cases {
			r := eligibleResource(a, tc.name)
			tc.change(&r)
			resource(t, s, r)
			want[tc.name] = tc.eligible
		}
		resource(t, s, eligibleResource(b, "bobs")) // another account's never shows
		got, err := s.EligibleResources(ctx, a.ID, t0, providerdb.DefaultMinTermMonths)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, r := range got {
			have[r.ExternalID] = true
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if have[tc.name] != want[tc.name] {
					t.Errorf("eligible = %v, want %v", have[tc.name], want[tc.name])
				}
			})
		}
		t.Run("OKNoMinimumTerm", func(t *testing.T) {
			got, err := s.EligibleResources(ctx, a.ID, t0, 0)
			if err != nil || !slices.ContainsFunc(got, func(r beian.Resource) bool { return r.ExternalID == "ErrTermTooShort" }) {
				t.Fatalf("with no minimum the short term qualifies: %+v %v", got, err)
			}
		})
	})
}

// Rule NOTE-1: servers whose term ends within the warning window.
func TestExpiringResources(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a, b := customer(t, s, "alice"), customer(t, s, "bob")
		for _, c := range []struct {
			acct beian.Account
			ext  string
			end  time.Time
			off  bool
		}{
			{a, "in-10d", t0.AddDate(0, 0, 10), false},
			{b, "in-30d", t0.AddDate(0, 0, 30), false},
			{a, "in-31d", t0.AddDate(0, 0, 31), false},
			{a, "ended", t0.Add(-time.Minute), false},
			{b, "inactive-in-5d", t0.AddDate(0, 0, 5), true},
		} {
			r := eligibleResource(c.acct, c.ext)
			r.TermStart, r.TermEnd, r.Active = t0.AddDate(-1, 0, 0), c.end, !c.off
			resource(t, s, r)
		}
		got, err := s.ExpiringResources(ctx, t0, 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var ext []string
		for _, r := range got {
			ext = append(ext, r.ExternalID)
		}
		if want := []string{"in-10d", "in-30d"}; !slices.Equal(ext, want) {
			t.Fatalf("expiring %v, want %v", ext, want)
		}
	})
}

// itoa is an ID as audit records name it.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
