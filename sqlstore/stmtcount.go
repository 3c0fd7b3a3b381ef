package sqlstore

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// StatementCount counts the statements sent to PostgreSQL on behalf of one
// piece of work (an HTTP request: web.Metrics counts them per route), each
// a round trip: queries, commands, BEGIN and COMMIT. Under load every round
// trip waits for the database's process and then for this one to be
// scheduled, so the count per request is a cost to watch. SQLite's
// statements are calls inside this process and are not counted.
type StatementCount struct{ n atomic.Int64 }

// Load returns the count so far.
func (c *StatementCount) Load() int64 { return c.n.Load() }

type statementCountKey struct{}

// CountStatements returns ctx carrying c: the statements run with the
// returned context (or one derived from it) add to c.
func CountStatements(ctx context.Context, c *StatementCount) context.Context {
	return context.WithValue(ctx, statementCountKey{}, c)
}

// statementTracer is the pgx tracer of every PostgreSQL connection: it
// adds each statement to the StatementCount of its context, if any.
type statementTracer struct{}

func (statementTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if c, ok := ctx.Value(statementCountKey{}).(*StatementCount); ok {
		c.n.Add(1)
	}
	return ctx
}

func (statementTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
