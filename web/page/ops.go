package page

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
)

// The ops dashboard (/ops): the provider's administrators see how the
// filing pipeline runs — orders per stage, the review SLA (Rules REV-1,
// REV-4), bureau review lengths per province (REV-2), approvals per day,
// and the outbox and timer backlogs (NOTE-1) — drawn as inline SVG from
// figures the database computes (providerdb.Store.OpsStats). The history
// figures are kept by the store and brought up to date from the moves
// since the last request, so the page stays quick with many orders and its
// figures are those of the time it shows, to the second.
func init() { pageNames = append(pageNames, "ops") }

// OpsRoutes registers the ops dashboard on mux, for accounts of the
// provider_admin role. An anonymous visitor is sent to /login?next=…;
// another role gets the 403 page. Without Options.Provider it answers 404.
//
//	GET /ops   the dashboard
func (p *Pages) OpsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /ops", p.handle(p.ops))
	mux.Handle("GET /ops/{$}", p.handle(p.ops))
}

// opsData is the dashboard's .Data.
type opsData struct {
	Now                 string // the figures' time, CST to the second
	Days, BureauDays    int
	Stages, SLA         chart
	Approvals, Outboxes chart
	Timers              chart
	Bureau              []opsProvince
	BureauTable         chart // the histograms' data, one row per province
	Bins                []string
}

// opsProvince is one province's histogram of bureau review lengths.
type opsProvince struct {
	Name  string
	Count int
	Chart chart
}

// opsBins are the histogram's bins of business days: [lo, hi], hi < 0
// for "and more".
var opsBins = [][2]int{{0, 5}, {6, 10}, {11, 15}, {16, 20}, {21, 25}, {26, 30}, {31, -1}}

// ops answers GET /ops.
func (p *Pages) ops(w http.ResponseWriter, r *http.Request) error {
	svc := p.opts.Provider
	if svc == nil {
		return beian.Errorf(beian.KindNotFound, "")
	}
	pr, ok := identity.FromContext(r.Context())
	if !ok {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	if pr.Role != beian.RoleProviderAdmin {
		return beian.Errorf(beian.KindForbidden, "auth.role")
	}
	now := svc.DB.Clock.Now()
	q := providerdb.OpsQuery{Now: now, Calendar: svc.Calendar, SLADays: svc.Options.ReviewSLADays, Days: 30, BureauDays: 90}
	for _, pv := range svc.Ref.Provinces() {
		q.Provinces = append(q.Provinces, pv.Code)
	}
	st, err := svc.Store.OpsStats(r.Context(), q)
	if err != nil {
		return err
	}
	lang := web.Lang(r)
	d := opsData{Now: now.In(beian.CST).Format(time.DateTime), Days: q.Days, BureauDays: q.BureauDays}
	l := func(key string) string { return p.labels[lang][key] }
	itoa := strconv.Itoa

	var bars []chartBar
	for _, s := range beian.Stages {
		n := st.Stages[s]
		bars = append(bars, chartBar{Label: l("ops.stage." + string(s)), Value: n, Tip: l("ops.stage."+string(s)) + ": " + itoa(n)})
	}
	d.Stages = hChart(l("ops.stages.title"), bars, 0, "")
	d.Stages.Head = []string{l("ops.col.stage"), l("ops.col.orders")}
	for _, b := range bars {
		d.Stages.Rows = append(d.Stages.Rows, []string{b.Label, itoa(b.Value)})
	}

	bars = nil
	var rows [][]string
	for _, rv := range st.Reviews {
		name, share := l("ops.review."+string(rv.Stage)), "—"
		tip := name + ": " + l("ops.tip.none")
		pct := 0
		if rv.Finished > 0 {
			pct = rv.OnTime * 100 / rv.Finished
			share = itoa(pct) + "%"
			tip = name + ": " + itoa(rv.OnTime) + "/" + itoa(rv.Finished) + " " + l("ops.tip.on_time") + " (" + share + ")"
		}
		bars = append(bars, chartBar{Label: name, Value: pct, Tip: tip})
		rows = append(rows, []string{name, itoa(rv.Finished), itoa(rv.OnTime), share, itoa(rv.Waiting), itoa(rv.WaitingOverdue)})
	}
	d.SLA = hChart(l("ops.sla.title"), bars, 100, "%")
	d.SLA.Head, d.SLA.Rows = []string{l("ops.col.review"), l("ops.col.finished"), l("ops.col.on_time"), l("ops.col.share"),
		l("ops.col.waiting"), l("ops.col.waiting_overdue")}, rows

	p.opsBureau(&d, st.Bureau, lang, l)

	bars = nil
	for _, dc := range st.Approvals {
		day := dc.Day.Format(time.DateOnly)
		bars = append(bars, chartBar{Label: dc.Day.Format("01-02"), Value: dc.N, Tip: day + ": " + itoa(dc.N)})
	}
	d.Approvals = vChart(l("ops.approvals.title"), "", bars, 5, opsChartW, 200)
	d.Approvals.Head = []string{l("ops.col.date"), l("ops.col.approvals")}
	for _, dc := range st.Approvals {
		d.Approvals.Rows = append(d.Approvals.Rows, []string{dc.Day.Format(time.DateOnly), itoa(dc.N)})
	}

	bars = nil
	for _, ob := range st.Outboxes {
		name := l("ops.context."+ob.Context) + " · " + l("ops.channel."+ob.Channel)
		bars = append(bars, chartBar{Label: name, Value: ob.Pending, Tip: name + ": " + itoa(ob.Pending)})
	}
	d.Outboxes = hChart(l("ops.outbox.title"), bars, 0, "")
	d.Outboxes.Head = []string{l("ops.col.queue"), l("ops.col.pending")}
	for _, b := range bars {
		d.Outboxes.Rows = append(d.Outboxes.Rows, []string{b.Label, itoa(b.Value)})
	}

	bars = nil
	for _, tb := range st.Timers {
		name := l("ops.context."+tb.Context) + " · " + tb.Kind
		tip := name + ": " + l("ops.col.pending") + " " + itoa(tb.Pending) + ", " + l("ops.col.overdue") + " " + itoa(tb.Overdue)
		bars = append(bars, chartBar{Label: name, Value: tb.Pending, Part: tb.Overdue, Tip: tip})
	}
	d.Timers = hChart(l("ops.timers.title"), bars, 0, "")
	d.Timers.Legend = []chartRect{{Fill: opsBlue, Tip: l("ops.col.pending")}, {Fill: opsRed, Tip: l("ops.col.overdue")}}
	d.Timers.Head = []string{l("ops.col.timer"), l("ops.col.pending"), l("ops.col.overdue")}
	for _, tb := range st.Timers {
		d.Timers.Rows = append(d.Timers.Rows, []string{l("ops.context."+tb.Context) + " · " + tb.Kind, itoa(tb.Pending), itoa(tb.Overdue)})
	}
	return p.Render(w, r, http.StatusOK, "ops", d)
}

// opsBureau builds one histogram per province (Rule REV-2: business days)
// and the table of all of them.
func (p *Pages) opsBureau(d *opsData, bureau []providerdb.BureauDurations, lang i18n.Lang,
	l func(string) string) {
	for _, b := range opsBins {
		if b[1] < 0 {
			d.Bins = append(d.Bins, strconv.Itoa(b[0])+"+")
		} else {
			d.Bins = append(d.Bins, strconv.Itoa(b[0])+"–"+strconv.Itoa(b[1]))
		}
	}
	d.BureauTable.Label = l("ops.bureau.title")
	d.BureauTable.Head = append([]string{l("ops.col.province"), l("ops.col.reviews")}, d.Bins...)
	for _, bd := range bureau {
		name := bd.Province
		if pv, ok := p.opts.Provider.Ref.Province(bd.Province); ok {
			name = pv.FullName
			if lang == i18n.EN && pv.NameEn != "" {
				name = pv.NameEn
			}
		}
		counts := make([]int, len(opsBins))
		for days, n := range bd.Days {
			for i, b := range opsBins {
				if days >= b[0] && (b[1] < 0 || days <= b[1]) {
					counts[i] += n
				}
			}
		}
		var bars []chartBar
		row := []string{name, strconv.Itoa(bd.Count)}
		for i, n := range counts {
			tip := name + " · " + d.Bins[i] + " " + l("ops.tip.business_days") + ": " + strconv.Itoa(n)
			bars = append(bars, chartBar{Label: d.Bins[i], Value: n, Tip: tip})
			row = append(row, strconv.Itoa(n))
		}
		label := l("ops.bureau.chart") + " · " + name + " · " + strconv.Itoa(bd.Count)
		d.Bureau = append(d.Bureau, opsProvince{Name: name, Count: bd.Count, Chart: vChart(label, name+" · "+strconv.Itoa(bd.Count), bars, 1, 300, 150)})
		d.BureauTable.Rows = append(d.BureauTable.Rows, row)
	}
}
