package providerdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// NewOrder is what creating an order needs.
type NewOrder struct {
	AccountID  int64
	Type       beian.OrderType
	Commercial bool
	// The subject the order is for (Rules ACC-1, ACC-4).
	Nature, Name, Province string
	CertType, CertNumber   string
	Data                   json.RawMessage // the form: subject and websites
	Key                    string          // idempotency key: a repeat returns the first order
	Actor                  string          // for the audit record, e.g. "account:42"
	// Baseline is the filed data a change_* order starts from (Rule
	// OTH-2), kept in the order's facts; nil for other types.
	Baseline json.RawMessage
}

const orderColumns = `id, number, account_id, COALESCE(subject_id, 0), subject_key, type, stage, commercial, data, flagged, version, created_at, updated_at, submitted_at, stage_at`

func scanOrder(row interface{ Scan(...any) error }) (o beian.Order, err error) {
	var typ, stage, data, flagged string
	var commercial int
	var created, updated, submitted, stageAt int64
	err = row.Scan(&o.ID, &o.Number, &o.AccountID, &o.SubjectID, &o.SubjectKey, &typ, &stage, &commercial,
		&data, &flagged, &o.Version, &created, &updated, &submitted, &stageAt)
	if errors.Is(err, sql.ErrNoRows) {
		return o, beian.Errorf(beian.KindNotFound, "")
	}
	if err != nil {
		return o, err
	}
	o.Type, o.Stage, o.Commercial = beian.OrderType(typ), beian.Stage(stage), commercial == 1
	o.Data = json.RawMessage(data)
	if err := json.Unmarshal([]byte(flagged), &o.Flagged); err != nil {
		return o, err
	}
	o.CreatedAt, o.UpdatedAt = sqlstore.FromMicro(created), sqlstore.FromMicro(updated)
	o.SubmittedAt, o.StageAt = sqlstore.FromMicro(submitted), sqlstore.FromMicro(stageAt)
	return o, nil
}

// CreateOrder creates a draft order. A repeat with the same account and key
// returns the first order unchanged. The account is bound to the order's
// subject: an account holds one subject at a time (Rule ACC-1, code
// acc.one_subject), and a subject has one order in flight (Rule ACC-4, code
// acc.order_in_flight); the schema enforces both.
func (s *Store) CreateOrder(ctx context.Context, in NewOrder) (o beian.Order, err error) {
	defer beian.Wrap(&err, "create order")
	if len(in.Data) == 0 {
		in.Data = json.RawMessage(`{}`)
	}
	if !json.Valid(in.Data) {
		return o, beian.Errorf(beian.KindBadRequest, "")
	}
	key := beian.SubjectKey(in.CertType, in.CertNumber)
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		if in.Key != "" {
			row := tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE account_id = $1 AND create_key = $2`, in.AccountID, in.Key)
			if prev, err := scanOrder(row); err == nil {
				o = prev
				return nil
			} else if !beian.IsKind(err, beian.KindNotFound) {
				return err
			}
		}
		subjectID, err := s.bindSubject(ctx, tx, in, key)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE subject_key = $1 AND stage NOT IN ('approved', 'abandoned')`, key).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return orderInFlight()
		}
		now := sqlstore.Micro(tx.Now)
		row := tx.QueryRowContext(ctx, `INSERT INTO orders (number, account_id, subject_id, subject_key, type, stage, commercial, data, create_key, created_at, updated_at, stage_at)
			VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $9, $9) RETURNING `+orderColumns,
			newOrderNumber(tx), in.AccountID, subjectID, key, string(in.Type), boolInt(in.Commercial), string(in.Data), in.Key, now)
		if o, err = scanOrder(row); err != nil {
			err = sqlstore.MapErr(err)
			if c := constraintOf(err); strings.Contains(c, "subject_key") || strings.Contains(c, "one_in_flight") {
				return orderInFlight() // a concurrent create won the race (Rule ACC-4)
			}
			return err
		}
		if err := recordStage(ctx, tx, beian.Order{}, o, "create", in.Actor); err != nil {
			return err
		}
		if len(in.Baseline) > 0 {
			if err := s.SaveOrderFacts(ctx, tx, OrderFacts{OrderID: o.ID, Baseline: in.Baseline}); err != nil {
				return err
			}
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: in.Actor, Action: "order.create", Entity: "order",
			EntityID: o.Number, After: map[string]any{"type": o.Type, "stage": o.Stage, "version": o.Version}})
		return err
	})
	return o, err
}

func orderInFlight() error {
	return &beian.Error{Kind: beian.KindConflict, Code: "acc.order_in_flight",
		Problems: beian.Problems{beian.NewProblem("acc.order_in_flight", "ACC-4", "")}}
}

func constraintOf(err error) string {
	var e *beian.Error
	if errors.As(err, &e) {
		return e.Args["constraint"]
	}
	return ""
}

// bindSubject returns the account's subject for the key, creating it on the
// account's first order. A different subject is refused (Rule ACC-1) unless
// the account's subject never got past a pending first filing that was
// abandoned: then it is replaced.
func (s *Store) bindSubject(ctx context.Context, tx *sqlstore.Tx, in NewOrder, key string) (int64, error) {
	var id int64
	var have, status string
	err := tx.QueryRowContext(ctx, `SELECT id, subject_key, status FROM subjects WHERE account_id = $1 AND status <> 'cancelled'`, in.AccountID).Scan(&id, &have, &status)
	now := sqlstore.Micro(tx.Now)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = tx.QueryRowContext(ctx, `INSERT INTO subjects (account_id, subject_key, nature, name, cert_type, cert_number, province, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $8) RETURNING id`,
			in.AccountID, key, in.Nature, in.Name, in.CertType, in.CertNumber, in.Province, now).Scan(&id)
		return id, sqlstore.MapErr(err)
	case err != nil:
		return 0, err
	case have == key:
		return id, nil
	case status == string(beian.SubjectPending):
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE subject_id = $1 AND stage <> 'abandoned'`, id).Scan(&open); err != nil {
			return 0, err
		}
		if open == 0 {
			_, err := tx.ExecContext(ctx, `UPDATE subjects SET subject_key = $1, nature = $2, name = $3, cert_type = $4, cert_number = $5, province = $6, updated_at = $7, version = version + 1 WHERE id = $8`,
				key, in.Nature, in.Name, in.CertType, in.CertNumber, in.Province, now, id)
			return id, sqlstore.MapErr(err)
		}
	}
	return 0, &beian.Error{Kind: beian.KindConflict, Code: "acc.one_subject",
		Problems: beian.Problems{beian.NewProblem("acc.one_subject", "ACC-1", "subject.cert_number")}}
}

// Order returns the order with the id.
func (s *Store) Order(ctx context.Context, id int64) (beian.Order, error) {
	return scanOrder(s.DB.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id))
}

// OrderOf returns the order with the id when the account owns it; another
// account's order is not found (the tenant rule: 404, not 403).
func (s *Store) OrderOf(ctx context.Context, accountID, id int64) (beian.Order, error) {
	return scanOrder(s.DB.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1 AND account_id = $2`, id, accountID))
}

// OrderByNumber returns the order with the number.
func (s *Store) OrderByNumber(ctx context.Context, number string) (beian.Order, error) {
	return orderByNumber(ctx, s.DB.SQL, number)
}

// OrderByNumberTx is OrderByNumber in the caller's transaction (a timer's
// handler): a second connection taken while the transaction holds one
// could wait for ever once every connection of the pool is so held.
func (s *Store) OrderByNumberTx(ctx context.Context, tx *sqlstore.Tx, number string) (beian.Order, error) {
	return orderByNumber(ctx, tx, number)
}

func orderByNumber(ctx context.Context, q querier, number string) (beian.Order, error) {
	return scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE number = $1`, number))
}

// OrdersPage lists up to limit of the account's orders with an id below
// before (0: from the newest), newest first: cursor pagination, the cursor
// being the last id seen.
func (s *Store) OrdersPage(ctx context.Context, accountID, before int64, limit int) (out []beian.Order, err error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	out, err = s.queryOrders(ctx, `SELECT `+orderColumns+` FROM orders WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
		accountID, before, limit)
	if out == nil && err == nil {
		out = []beian.Order{}
	}
	return out, err
}

// AccountSubject returns the account's subject that is not cancelled
// (Rule ACC-1: at most one), or not found.
func (s *Store) AccountSubject(ctx context.Context, accountID int64) (sub beian.Subject, err error) {
	var status string
	var created, updated int64
	err = s.DB.SQL.QueryRowContext(ctx, `SELECT id, account_id, nature, name, cert_type, cert_number, province, COALESCE(number, ''), status, version, created_at, updated_at
		FROM subjects WHERE account_id = $1 AND status <> 'cancelled'`, accountID).
		Scan(&sub.ID, &sub.AccountID, &sub.Nature, &sub.Name, &sub.CertType, &sub.CertNumber, &sub.Province, &sub.Number, &status, &sub.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, beian.Errorf(beian.KindNotFound, "")
	}
	sub.Status, sub.CreatedAt, sub.UpdatedAt = beian.SubjectStatus(status), sqlstore.FromMicro(created), sqlstore.FromMicro(updated)
	return sub, err
}

// WebsiteByNumber returns the subject's website with the number in the
// caller's transaction (locked on PostgreSQL), or not found.
func (s *Store) WebsiteByNumber(ctx context.Context, tx *sqlstore.Tx, subjectID int64, number string) (beian.Website, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM websites WHERE subject_id = $1 AND number = $2`, subjectID, number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return beian.Website{}, beian.Errorf(beian.KindNotFound, "")
	}
	if err != nil {
		return beian.Website{}, err
	}
	return websiteInTx(ctx, tx, id)
}

// ConvertOrder changes the type of an order in the caller's transaction,
// with its audit record: a cancel_website order that removes every website
// of its subject is a subject cancellation (Rule CAN-4).
func (s *Store) ConvertOrder(ctx context.Context, tx *sqlstore.Tx, id int64, to beian.OrderType, actor string) error {
	var number string
	if err := tx.QueryRowContext(ctx, `UPDATE orders SET type = $1 WHERE id = $2 RETURNING number`, string(to), id).Scan(&number); err != nil {
		return sqlstore.MapErr(err)
	}
	err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "order.convert", Entity: "order", EntityID: number,
		After: map[string]any{"type": to}})
	return err
}

// RebindSubject moves the order to the subject certificate its form now
// names, in the caller's transaction (a corrected typo in a certificate
// number). Only a subject that is not filed yet may be rebound
// (order.subject_fixed, Rule ACC-1); the new subject must have no other
// order in flight (Rule ACC-4).
func (s *Store) RebindSubject(ctx context.Context, tx *sqlstore.Tx, orderID int64, nature, name, certType, certNumber string) error {
	var subjectID int64
	var status string
	if err := tx.QueryRowContext(ctx, `SELECT s.id, s.status FROM orders o JOIN subjects s ON s.id = o.subject_id WHERE o.id = $1`, orderID).
		Scan(&subjectID, &status); err != nil {
		return sqlstore.MapErr(err)
	}
	if status != string(beian.SubjectPending) {
		return &beian.Error{Kind: beian.KindInvalid, Problems: beian.Problems{beian.NewProblem("order.subject_fixed", "ACC-1", "subject.cert_number")}}
	}
	key := beian.SubjectKey(certType, certNumber)
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE subject_key = $1 AND id <> $2 AND stage NOT IN ('approved', 'abandoned')`, key, orderID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return orderInFlight()
	}
	now := sqlstore.Micro(tx.Now)
	if _, err := tx.ExecContext(ctx, `UPDATE subjects SET subject_key = $1, nature = $2, name = $3, cert_type = $4, cert_number = $5, updated_at = $6, version = version + 1 WHERE id = $7`,
		key, nature, name, certType, certNumber, now, subjectID); err != nil {
		return sqlstore.MapErr(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET subject_key = $1 WHERE id = $2`, key, orderID); err != nil {
		if err = sqlstore.MapErr(err); beian.IsKind(err, beian.KindConflict) {
			return orderInFlight()
		}
		return err
	}
	return nil
}

// OrdersOf lists the account's orders, newest first.
func (s *Store) OrdersOf(ctx context.Context, accountID int64) (out []beian.Order, err error) {
	return s.queryOrders(ctx, `SELECT `+orderColumns+` FROM orders WHERE account_id = $1 ORDER BY id DESC`, accountID)
}

// queryOrders runs a query of orderColumns and scans its orders (nil for none).
func (s *Store) queryOrders(ctx context.Context, q string, args ...any) (out []beian.Order, err error) {
	rows, err := s.DB.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lockOrder reads the order inside tx, locking its row on PostgreSQL, and
// checks the version the caller saw (stale → KindStale, nothing written).
func lockOrder(ctx context.Context, tx *sqlstore.Tx, id, version int64) (beian.Order, error) {
	q := `SELECT ` + orderColumns + ` FROM orders WHERE id = $1`
	if tx.Driver == sqlstore.Postgres {
		q += ` FOR UPDATE`
	}
	o, err := scanOrder(tx.QueryRowContext(ctx, q, id))
	if err != nil {
		return o, err
	}
	if version != o.Version {
		return o, beian.Errorf(beian.KindStale, "")
	}
	return o, nil
}
