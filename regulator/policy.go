package regulator

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
)

// Modes of the sandbox's bureau policy (API.md, bureau-policy).
const (
	PolicyAuto   = "auto"   // the sandbox bureau decides every order at its due date
	PolicyManual = "manual" // nothing automatic: the bureau desk decides
)

// PolicyKey is the kv key that holds the sandbox's bureau policy as JSON.
const PolicyKey = "sandbox.bureau_policy"

// TimerBureauDecision is the timer kind of the sandbox bureau's automatic
// decision on one submission (ref: the submission id); see
// PolicyTimerHandlers.
const TimerBureauDecision = "sandbox_bureau_decision"

// PolicyActor is the audit actor of the sandbox bureau's decisions: the
// system reviewer of the registry itself, which reaches every province.
const PolicyActor = "sandbox:bureau"

// BureauPolicy is how the sandbox's bureaus decide (API.md: GET,PUT
// /api/v1/sandbox/bureau-policy). In auto mode every submission that
// reaches bureau review is decided at its due date (Rule REV-2), a
// cancellation within 3 to 20 business days (Rule CAN-2): approved, or
// rejected with items (Rule REV-5) for a share RejectShare of the
// submissions, chosen deterministically from Seed and the submission id.
type BureauPolicy struct {
	Mode        string  `json:"mode"`
	RejectShare float64 `json:"reject_share"`
	Seed        int64   `json:"seed"`
}

// DefaultBureauPolicy is the sandbox's policy until one is set: auto,
// rejecting nothing (API.md).
func DefaultBureauPolicy() BureauPolicy { return BureauPolicy{Mode: PolicyAuto} }

// check validates the policy: a known mode and a share from 0 to 1.
func (p BureauPolicy) check() error {
	var ps beian.Problems
	if p.Mode != PolicyAuto && p.Mode != PolicyManual {
		ps.Add("sandbox.policy_mode", "REV-2", "mode")
	}
	if math.IsNaN(p.RejectShare) || p.RejectShare < 0 || p.RejectShare > 1 {
		ps.Add("sandbox.policy_reject_share", "REV-5", "reject_share")
	}
	return ps.Err()
}

// sandboxBureaus holds the registries whose sandbox bureau is on. Registry
// (registry.go) has no field for it; a field there would replace this map.
var sandboxBureaus sync.Map // *Registry → bool

// SetSandboxBureau turns the sandbox's automatic bureau on or off for this
// registry: on with --sandbox and demo, off otherwise (the default). While
// off, no decision timer is scheduled and a due one does nothing, whatever
// policy the database holds: outside the sandbox only the bureau desk
// decides.
func (r *Registry) SetSandboxBureau(on bool) { sandboxBureaus.Store(r, on) }

// SandboxBureau reports whether the sandbox's automatic bureau is on.
func (r *Registry) SandboxBureau() bool {
	on, _ := sandboxBureaus.Load(r)
	b, _ := on.(bool)
	return b
}

// PolicyTimerHandlers returns the handlers of the sandbox bureau's timers,
// to merge into the registry runner's handlers beside TimerHandlers.
func (r *Registry) PolicyTimerHandlers() map[string]timer.Handler {
	return map[string]timer.Handler{TimerBureauDecision: r.policyDecide}
}

// BureauPolicy returns the sandbox's bureau policy; DefaultBureauPolicy
// when none was set.
func (r *Registry) BureauPolicy(ctx context.Context) (p BureauPolicy, err error) {
	defer beian.Wrap(&err, "read the bureau policy")
	return readPolicy(ctx, r.DB.SQL)
}

// SetBureauPolicy stores the sandbox's bureau policy and returns it. A mode
// other than auto or manual is invalid (sandbox.policy_mode), so is a
// reject share outside 0 to 1 (sandbox.policy_reject_share). Switching to
// auto, with the sandbox bureau on, arms the decision timer of every
// submission already in bureau review, so none waits for a desk that
// nobody staffs.
func (r *Registry) SetBureauPolicy(ctx context.Context, p BureauPolicy) (_ BureauPolicy, err error) {
	defer beian.Wrap(&err, "set the bureau policy")
	p.Mode = strings.TrimSpace(p.Mode)
	if err := p.check(); err != nil {
		return p, err
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		before, err := readPolicy(ctx, tx)
		if err != nil {
			return err
		}
		js, _ := json.Marshal(p) // plain data: never fails
		if _, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			PolicyKey, string(js), sqlstore.Micro(tx.Now)); err != nil {
			return sqlstore.MapErr(err)
		}
		if p.Mode == PolicyAuto && r.SandboxBureau() {
			ids, err := strings1(ctx, tx, `SELECT id FROM registry_submissions WHERE status = 'bureau_review' ORDER BY id`)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if err := r.scheduleDecision(ctx, tx, id, p); err != nil {
					return err
				}
			}
		}
		return r.appendAudit(ctx, tx, "sandbox.policy_set", "kv", PolicyKey, before, p)
	})
	return p, err
}

// readPolicy reads the stored policy, the default when none is stored.
func readPolicy(ctx context.Context, q querier) (BureauPolicy, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = $1`, PolicyKey).Scan(&v)
	if noRows(err) {
		return DefaultBureauPolicy(), nil
	}
	if err != nil {
		return BureauPolicy{}, err
	}
	var p BureauPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return BureauPolicy{}, err
	}
	return p, nil
}

// queuedForBureau is called in tx when a submission may have reached
// bureau review (after the last SMS confirmation, Rule VER-3, or at submit
// for an order without one). With the sandbox bureau on and the policy in
// auto mode it arms the submission's decision timer; otherwise, or when
// the submission is not in bureau review, it does nothing.
func (r *Registry) queuedForBureau(ctx context.Context, tx *sqlstore.Tx, submissionID string) error {
	if !r.SandboxBureau() {
		return nil
	}
	p, err := readPolicy(ctx, tx)
	if err != nil || p.Mode != PolicyAuto {
		return err
	}
	return r.scheduleDecision(ctx, tx, submissionID, p)
}

// scheduleDecision arms the decision timer of a submission in bureau
// review at its decision time (policyDue).
func (r *Registry) scheduleDecision(ctx context.Context, tx *sqlstore.Tx, submissionID string, p BureauPolicy) error {
	var typ, status string
	var due, submitted int64
	err := tx.QueryRowContext(ctx, `SELECT type, status, due_date, submitted_at FROM registry_submissions WHERE id = $1`,
		submissionID).Scan(&typ, &status, &due, &submitted)
	if noRows(err) || (err == nil && status != SubmissionBureau) {
		return nil
	}
	if err != nil {
		return err
	}
	at := r.policyDue(beian.OrderType(typ), submissionID, sqlstore.FromMicro(submitted), sqlstore.FromMicro(due), p)
	if at.Before(tx.Now) {
		at = tx.Now
	}
	return registryTimers().Schedule(ctx, tx, TimerBureauDecision, submissionID, at, "")
}

// Cancellation days the sandbox bureau takes (Rule CAN-2: 3 to 20).
const (
	policyCancelMin = 3
	policyCancelMax = 20
)

// policyDue is when the sandbox bureau decides a submission: at the start
// (CST) of its due date (Rule REV-2); a cancellation on a business day
// 3 to 20 business days after it was submitted, the same for the same
// seed and submission (Rules CAN-2, CAL-1).
func (r *Registry) policyDue(typ beian.OrderType, id string, submitted, due time.Time, p BureauPolicy) time.Time {
	if typ != beian.CancelSubject && typ != beian.CancelWebsite {
		return beian.DateOf(due)
	}
	n := policyCancelMin + policyRand(p.Seed, id, "cancel_days").IntN(policyCancelMax-policyCancelMin+1)
	d, _ := r.PipelineOptions().calendar().AddBusinessDays(submitted, n)
	return d
}
