package page

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
)

// The seed of the page benchmarks (BenchmarkPages, BenchmarkOpsPage):
// 100,000 orders as the provider and the registry would hold them after a
// year of work, written by multi-row INSERTs in one transaction instead of
// the service API one by one. Every customer account holds one subject
// (Rule ACC-1) and four orders: a first filing (approved), two new
// websites (approved, or abandoned after a rejection) and one in flight
// (Rule ACC-4) somewhere on the path, recently entered; a fifth of the
// accounts are in Zhejiang, the rest spread over the provinces. Written
// per order: the orders row with its form (the JSON the console saves),
// the stage history with the data hash (order_stages, as recordStage
// writes it), the subject with its number, a website with its domain per
// approval; at the registry, a submission per order that reached it
// (registry_submissions with its payload and business-day due date) and
// the approved filings through the registry's own importer. Not written:
// audit records, documents, verifications, review items and the gate's
// servable domains of these orders (the pages read them only for the one
// order they show, through indexed keys).

// pbNow is the benchmark's clock: Monday 2026-11-30 10:00 CST.
var pbNow = time.Date(2026, 11, 30, 10, 0, 0, 0, beian.CST)

// pbProvider is the provider of the seeded orders at the registry.
const pbProvider = "beian"

// pbSeeded is what the benchmark needs to know of the seed.
type pbSeeded struct {
	stages       map[beian.Stage]int // orders per stage
	zjBureau     int                 // Zhejiang's orders in bureau review
	consoleOrder beian.Order         // the console customer's order in flight
	queryDomain  string              // a domain of an approved website
	queryNumber  string              // its website number
}

// pbEvents are the events of the path's moves: pbEvents[to].
var pbEvents = map[beian.Stage]string{beian.StageInitialReview: "submit", beian.StageVerification: "approve_initial",
	beian.StagePhotoReview: "submit_verification", beian.StageSMSConfirmation: "approve_photo", beian.StageBureauReview: "sms_confirmed",
	beian.StageApproved: "bureau_approve", beian.StageNeedsFix: "reject_initial", beian.StageSupplementRequested: "request_supplement",
	beian.StageAbandoned: "abandon"}

// pbPath is a first filing's or new website's path (Rule REV-8).
var pbPath = []beian.Stage{beian.StageDraft, beian.StageInitialReview, beian.StageVerification, beian.StagePhotoReview,
	beian.StageSMSConfirmation, beian.StageBureauReview, beian.StageApproved}

// pbInFlight is the stage of each account's last order, in per cent, with
// how long ago at most it entered the stage.
var pbInFlight = []struct {
	stage beian.Stage
	pct   int
	since time.Duration
}{{beian.StageDraft, 10, 30 * 24 * time.Hour}, {beian.StageInitialReview, 20, 48 * time.Hour}, {beian.StageNeedsFix, 5, 10 * 24 * time.Hour},
	{beian.StageSupplementRequested, 3, 5 * 24 * time.Hour}, {beian.StageVerification, 10, 5 * 24 * time.Hour},
	{beian.StagePhotoReview, 15, 48 * time.Hour}, {beian.StageSMSConfirmation, 7, 24 * time.Hour}, {beian.StageBureauReview, 30, 40 * 24 * time.Hour}}

// pbBulk collects the rows of one table and writes them 500 at a time.
type pbBulk struct {
	tb      testing.TB
	tx      *sql.Tx
	head    string
	parents []*pbBulk // the tables its rows refer to, written first
	b       strings.Builder
	n       int
}

// add appends one row; strings are written as SQL literals.
func (k *pbBulk) add(vals ...any) {
	if k.n == 0 {
		k.b.WriteString(k.head)
		k.b.WriteString(" VALUES ")
	} else {
		k.b.WriteString(", ")
	}
	k.b.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			k.b.WriteString(", ")
		}
		switch v := v.(type) {
		case string:
			k.b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
		default:
			fmt.Fprint(&k.b, v)
		}
	}
	k.b.WriteByte(')')
	if k.n++; k.n == 500 {
		k.flush()
	}
}

func (k *pbBulk) flush() {
	for _, p := range k.parents {
		p.flush()
	}
	if k.n == 0 {
		return
	}
	if _, err := k.tx.Exec(k.b.String()); err != nil {
		k.tb.Fatalf("%s: %v", k.head, err)
	}
	k.b.Reset()
	k.n = 0
}

// pbCode is the 12 characters of an order number after its date, from the id.
func pbCode(id int64) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, 12)
	for i := 11; i >= 0; i-- {
		b[i] = alphabet[id%32]
		id /= 32
	}
	return string(b)
}

// pagesSeed writes n orders (see the file's comment); the first account is
// the console customer's (customerID).
func pagesSeed(tb testing.TB, db *sqlstore.DB, cal *calendar.Calendar, reg *regulator.Registry, n int, customerID int64) pbSeeded {
	tb.Helper()
	ctx := context.Background()
	ref := refdata.Default()
	var provinces []refdata.Province
	for _, p := range ref.Provinces() {
		if p.Code != "330000" {
			provinces = append(provinces, p)
		}
	}
	zj, _ := ref.Province("330000")
	rng := rand.New(rand.NewPCG(7, 7))
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	bulk := func(head string, parents ...*pbBulk) *pbBulk {
		return &pbBulk{tb: tb, tx: tx, head: head, parents: parents}
	}
	accounts := bulk(`INSERT INTO provider_accounts (id, login, role, created_at)`)
	subjects := bulk(`INSERT INTO subjects (id, account_id, subject_key, nature, name, cert_type, cert_number, province, number, status, version, created_at, updated_at)`, accounts)
	orders := bulk(`INSERT INTO orders (id, number, account_id, subject_id, subject_key, type, stage, data, version, created_at, updated_at, submitted_at, stage_at)`, subjects)
	stages := bulk(`INSERT INTO order_stages (order_id, from_stage, to_stage, event, actor, province, entered_at, at, data_hash)`, orders)
	websites := bulk(`INSERT INTO websites (id, subject_id, number, name, access, created_at, updated_at)`, subjects)
	domains := bulk(`INSERT INTO website_domains (website_id, domain, active)`, websites)
	subs := bulk(`INSERT INTO registry_submissions (id, provider, idem_key, request_hash, order_number, type, province, subject_key, subject_number,
		payload, status, due_date, sms_deadline, submitted_at, decided_at, updated_at)`)
	var filings bytes.Buffer
	cw := csv.NewWriter(&filings)
	_ = cw.Write(regulator.ImportHeader)

	out := pbSeeded{stages: map[beian.Stage]int{}}
	end := pbNow
	micro := sqlstore.Micro
	hours := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Hour }
	var oid, wid int64
	for a := 0; oid < int64(n); a++ {
		acct := int64(1000 + a)
		pv := provinces[rng.IntN(len(provinces))]
		if rng.IntN(5) == 0 {
			pv = zj
		}
		if a == 0 {
			acct, pv = customerID, zj
		}
		start := end.Add(-240*24*time.Hour - hours(0, 120*24))
		if a > 0 {
			accounts.add(acct, fmt.Sprintf("pb%06d", a), "customer", micro(start))
		}
		cert := "91" + pv.Code[:4] + "00MA" + fmt.Sprintf("%07d", a) + "X"
		key := beian.SubjectKey("uscc", cert)
		unit := fmt.Sprintf("%s测试%06d科技有限公司", pv.Name, a)
		subjNum := fmt.Sprintf("%sICP备2026%06d号", pv.Abbr, a)
		sid := int64(a + 1)
		person := beian.Person{Name: "张三", CertType: "resident_id", CertNumber: "330106199001011234", Mobile: "13800138000", Email: "zhang@example.com"}
		subject := beian.SubjectData{Nature: "enterprise", Name: unit, CertType: "uscc", CertNumber: cert, Province: pv.Code,
			City: pv.Code[:4] + "00", District: pv.Code[:4] + "01", Address: "文三路 1 号", Person: person}
		subjects.add(sid, acct, key, "enterprise", unit, "uscc", cert, pv.Code, subjNum, "active", 2, micro(start), micro(start))
		t := start
		site := 0
		for k := 0; k < 4 && oid < int64(n); k++ {
			oid++
			typ := beian.NewWebsite
			if k == 0 {
				typ = beian.FirstFiling
			}
			domain := fmt.Sprintf("pb%06d-%d.com", a, k)
			web := beian.WebsiteData{Name: fmt.Sprintf("测试%06d网站%d", a, k), Domains: []string{domain}, Homepage: "www." + domain,
				ServiceContent: "org_portal", Person: beian.Person{Name: "李四", CertType: "resident_id", CertNumber: "110101198001015678", Mobile: "13900139000"},
				ServerIPs: []string{"203.0.113.10"}}
			form := beian.OrderData{Subject: beian.SubjectForm{SubjectData: subject}, Websites: []beian.WebsiteForm{{WebsiteData: web}}}
			data, _ := json.Marshal(form)
			hash := providerdb.DataHash(data)
			// The stages the order went through and when it entered each.
			var path []beian.Stage
			var at []time.Time
			switch {
			case k < 3 && (k == 0 || rng.IntN(5) > 0): // approved
				path, at = pbPath, []time.Time{t}
				for j := 1; j < len(path); j++ {
					step := hours(2, 42)
					if path[j-1] == beian.StageBureauReview {
						step = hours(10*24, 35*24)
					}
					at = append(at, at[j-1].Add(step))
				}
			case k < 3: // rejected, then abandoned
				path = []beian.Stage{beian.StageDraft, beian.StageInitialReview, beian.StageNeedsFix, beian.StageAbandoned}
				at = []time.Time{t, t.Add(hours(1, 48))}
				at = append(at, at[1].Add(hours(2, 30)), at[1].Add(hours(3*24, 20*24)))
			default: // in flight: entered its stage recently
				r, f := rng.IntN(100), pbInFlight[0]
				for _, s := range pbInFlight {
					if f = s; r < s.pct {
						break
					}
					r -= s.pct
				}
				switch f.stage {
				case beian.StageNeedsFix, beian.StageSupplementRequested:
					path = []beian.Stage{beian.StageDraft, beian.StageInitialReview, f.stage}
				default:
					for _, s := range pbPath {
						if path = append(path, s); s == f.stage {
							break
						}
					}
				}
				at = make([]time.Time, len(path))
				at[len(at)-1] = end.Add(-time.Duration(rng.Int64N(int64(f.since))))
				for j := len(at) - 2; j >= 0; j-- {
					at[j] = at[j+1].Add(-hours(2, 42))
				}
			}
			last := len(path) - 1
			stage := path[last]
			out.stages[stage]++
			var submitted int64
			if j := slices.Index(path, beian.StageInitialReview); j >= 0 {
				submitted = micro(at[j])
			}
			number := "BA" + at[0].In(beian.CST).Format("20060102") + "-" + pbCode(oid)
			orders.add(oid, number, acct, sid, key, string(typ), string(stage), string(data), len(path), micro(at[0]), micro(at[last]), submitted, micro(at[last]))
			for j, s := range path {
				from, entered, ev := "", at[0], "create"
				if j > 0 {
					from, entered, ev = string(path[j-1]), at[j-1], pbEvents[s]
				}
				stages.add(oid, from, string(s), ev, "bench", pv.Code, micro(entered), micro(at[j]), hash)
			}
			if a == 0 && k == 3 {
				out.consoleOrder = beian.Order{ID: oid, Number: number}
			}
			// At the registry from SMS confirmation on (Rules VER-3, REV-2).
			if i := slices.Index(path, beian.StageSMSConfirmation); i >= 0 {
				status, decided := "sms_confirmation", int64(0)
				switch stage {
				case beian.StageBureauReview:
					status = "bureau_review"
				case beian.StageApproved:
					status, decided = "approved", micro(at[last])
				}
				days := 20
				if pv.Code == "330000" {
					days = 30 // Rule REV-2: Zhejiang
				}
				due, _ := cal.AddBusinessDays(at[i], days)
				sn := subjNum
				if k == 0 && stage != beian.StageApproved {
					sn = ""
				}
				payload, _ := json.Marshal(beian.Submission{OrderNumber: number, Type: typ, Province: pv.Code, SubjectNumber: sn, Subject: subject,
					Websites: []beian.WebsiteData{web}, Documents: []beian.Document{{Kind: "photo", SHA256: strings.Repeat("ab", 32), Bytes: 123456}},
					SubmittedAt: at[i]})
				subs.add(fmt.Sprintf("%032x", oid), pbProvider, number, fmt.Sprintf("%064x", oid), number, string(typ), pv.Code, key, sn,
					string(payload), status, micro(due), micro(at[i].Add(24*time.Hour)), micro(at[i]), decided, micro(at[last]))
				if status == "bureau_review" && pv.Code == "330000" {
					out.zjBureau++
				}
			}
			if stage == beian.StageApproved {
				site++
				wid++
				wn := fmt.Sprintf("%s-%d", subjNum, site)
				websites.add(wid, sid, wn, web.Name, "served", micro(at[last]), micro(at[last]))
				domains.add(wid, domain, 1)
				_ = cw.Write([]string{subjNum, unit, "enterprise", pv.Code, wn, web.Name, domain, web.Homepage,
					at[last].In(beian.CST).Format(time.DateOnly), pbProvider})
				if out.queryDomain == "" {
					out.queryDomain, out.queryNumber = domain, wn
				}
			}
			t = at[last].Add(hours(24, 5*24))
		}
	}
	for _, k := range []*pbBulk{accounts, subjects, orders, stages, websites, domains, subs} {
		k.flush()
	}
	if db.Driver == sqlstore.Postgres {
		for _, t := range []string{"provider_accounts", "subjects", "orders", "websites"} {
			if _, err := tx.Exec(`SELECT setval(pg_get_serial_sequence('` + t + `', 'id'), (SELECT MAX(id) FROM ` + t + `))`); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	cw.Flush()
	st, err := (&regulator.Importer{Registry: reg, Source: "bench"}).Import(ctx, &filings)
	if err != nil || st.Bad > 0 {
		tb.Fatalf("import of the approved filings: %+v, %v", st, err)
	}
	return out
}
