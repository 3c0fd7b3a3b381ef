package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beian/beian/sqlstore"
)

// backlog reports, at each scrape of /metrics, what waits in the database
// behind the HTTP answers: unsent messages per context and channel (the
// outbox), and per context the timers already due but not fired — the two
// figures an operator alerts on when a worker is stuck or a sender is down
// (docs/operations.md). Each scrape runs two small COUNT queries per
// context (and the filing passwords owed, where the registry runs),
// bounded by a 2-second timeout; a failed query drops that figure
// from the scrape rather than reporting a false zero.
type backlog struct {
	m                 *Main
	outboxDesc, timer *prometheus.Desc
	passwords         *prometheus.Desc
}

func newBacklog(m *Main) *backlog {
	return &backlog{m: m,
		outboxDesc: prometheus.NewDesc("beian_outbox_pending", "Messages queued and not yet sent, by context and channel.", []string{"context", "channel"}, nil),
		timer:      prometheus.NewDesc("beian_timers_due", "Timers due by now and not yet fired, by context.", []string{"context"}, nil),
		passwords:  prometheus.NewDesc("beian_passwords_owed", "Filing passwords owed by approved first filings and not yet issued (Rule PWD-1).", nil, nil),
	}
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.outboxDesc
	ch <- b.timer
	ch <- b.passwords
}

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	db := b.m.db
	if db == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, w := range b.m.workers {
		counts, err := w.Outbox.Pending(ctx, db)
		if err != nil {
			continue
		}
		c := w.Outbox.Table()
		for chn, n := range counts {
			ch <- prometheus.MustNewConstMetric(b.outboxDesc, prometheus.GaugeValue, float64(n), contextOf(c), chn)
		}
	}
	if b.m.platform == nil {
		return
	}
	now := sqlstore.Micro(db.Clock.Now())
	for _, r := range b.m.platform.runners {
		var n int64
		err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+r.Timers.Table()+` WHERE fired_at = 0 AND cancelled_at = 0 AND due_at <= $1`, now).Scan(&n)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(b.timer, prometheus.GaugeValue, float64(n), r.Timers.Context())
	}
	if b.m.platform.registry != nil {
		var n int64
		if err := db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_password_due`).Scan(&n); err == nil {
			ch <- prometheus.MustNewConstMetric(b.passwords, prometheus.GaugeValue, float64(n))
		}
	}
}

// contextOf names an outbox table's context ("provider_outbox" → "provider").
func contextOf(table string) string {
	for i := range len(table) {
		if table[i] == '_' {
			return table[:i]
		}
	}
	return table
}
