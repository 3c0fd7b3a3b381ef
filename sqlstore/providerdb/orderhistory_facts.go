package providerdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// OrderFacts is what the provider derives about an order beside its form:
// the filed data a change order starts from and the field paths it changes
// (Rule OTH-2), the flags for the provider reviewer (an under-18
// responsible person, SUBJ-2; a changed certificate number or subject name,
// OTH-2), the effect of a cancellation (Rule CAN-4: "cancels_subject"), and
// whether a change names a new responsible person (Rule REV-8).
type OrderFacts struct {
	OrderID   int64
	Baseline  json.RawMessage // the filed data of a change_* order; empty otherwise
	Changed   []string
	Flags     []beian.Problem // code and field; for the reviewer, not errors
	Effect    string
	NewPerson bool
	UpdatedAt time.Time
}

// flagJSON is a flag as stored (beian.Problem hides its args from JSON).
type flagJSON struct {
	Code  string `json:"code"`
	Rule  string `json:"rule,omitempty"`
	Field string `json:"field,omitempty"`
}

// OrderFactsOf returns the order's facts; an order without any has the
// zero facts (empty lists), not an error.
func (s *Store) OrderFactsOf(ctx context.Context, orderID int64) (OrderFacts, error) {
	return orderFacts(ctx, s.DB.SQL, orderID)
}

// OrderFactsTx is OrderFactsOf in the caller's transaction.
func (s *Store) OrderFactsTx(ctx context.Context, tx *sqlstore.Tx, orderID int64) (OrderFacts, error) {
	return orderFacts(ctx, tx, orderID)
}

func orderFacts(ctx context.Context, q querier, orderID int64) (f OrderFacts, err error) {
	f = OrderFacts{OrderID: orderID, Changed: []string{}, Flags: []beian.Problem{}}
	var baseline, changed, flags string
	var newPerson int
	var updated int64
	err = q.QueryRowContext(ctx, `SELECT baseline, changed, flags, effect, new_person, updated_at FROM order_facts WHERE order_id = $1`, orderID).
		Scan(&baseline, &changed, &flags, &f.Effect, &newPerson, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if baseline != "" {
		f.Baseline = json.RawMessage(baseline)
	}
	if err := json.Unmarshal([]byte(changed), &f.Changed); err != nil {
		return f, err
	}
	var fs []flagJSON
	if err := json.Unmarshal([]byte(flags), &fs); err != nil {
		return f, err
	}
	for _, x := range fs {
		f.Flags = append(f.Flags, beian.Problem{Code: x.Code, Rule: x.Rule, Field: x.Field})
	}
	f.NewPerson, f.UpdatedAt = newPerson == 1, sqlstore.FromMicro(updated)
	return f, nil
}

// SaveOrderFacts writes the order's facts in the caller's transaction
// (typically a Transition Effect or the order's creation), replacing the
// previous ones.
func (s *Store) SaveOrderFacts(ctx context.Context, tx *sqlstore.Tx, f OrderFacts) error {
	changed := f.Changed
	if changed == nil {
		changed = []string{}
	}
	fs := make([]flagJSON, 0, len(f.Flags))
	for _, p := range f.Flags {
		fs = append(fs, flagJSON{Code: p.Code, Rule: p.Rule, Field: p.Field})
	}
	cj, _ := json.Marshal(changed)
	fj, _ := json.Marshal(fs)
	_, err := tx.ExecContext(ctx, `INSERT INTO order_facts (order_id, baseline, changed, flags, effect, new_person, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (order_id) DO UPDATE SET baseline = excluded.baseline, changed = excluded.changed, flags = excluded.flags,
			effect = excluded.effect, new_person = excluded.new_person, updated_at = excluded.updated_at`,
		f.OrderID, string(f.Baseline), string(cj), string(fj), f.Effect, boolInt(f.NewPerson), sqlstore.Micro(tx.Now))
	return sqlstore.MapErr(err)
}

// UseOrderAuthCodes uses, in the caller's transaction, each authorization
// code of the order that the order has not used yet (Rule ACC-3: one use
// per website filed with it; a resubmission does not use a code twice).
// A code that cannot be used fails the whole transaction with the
// authcode.* problem of UseAuthCode, its field set to where the code
// stands in the form (fields[i] for codes[i]).
func (s *Store) UseOrderAuthCodes(ctx context.Context, tx *sqlstore.Tx, orderID, accountID int64, codes, fields []string) error {
	for i, code := range codes {
		code = NormalizeAuthCode(code)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_auth_codes WHERE order_id = $1 AND code = $2`, orderID, code).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := s.UseAuthCode(ctx, tx, code, accountID); err != nil {
			var e *beian.Error
			if errors.As(err, &e) && i < len(fields) {
				ps := make(beian.Problems, 0, len(e.Problems)+1)
				for _, p := range e.Problems {
					p.Field = fields[i]
					ps = append(ps, p)
				}
				if len(ps) == 0 {
					ps = append(ps, beian.NewProblem(e.Code, "ACC-3", fields[i]))
				}
				kind := e.Kind
				if kind == beian.KindNotFound {
					kind = beian.KindInvalid // a code typed into the form: a rule problem, not a missing route
				}
				return &beian.Error{Kind: kind, Code: e.Code, Problems: ps, Err: err}
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_auth_codes (order_id, code, used_at) VALUES ($1, $2, $3)`,
			orderID, code, sqlstore.Micro(tx.Now)); err != nil {
			return sqlstore.MapErr(err)
		}
	}
	return nil
}
