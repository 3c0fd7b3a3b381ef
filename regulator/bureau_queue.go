package regulator

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// BureauCursor is a position in a bureau's queue, which is ordered by due
// date, then submission time, then submission ID: the last order of the
// page before. The zero cursor is the queue's start.
type BureauCursor struct {
	DueDate, SubmittedAt time.Time
	ID                   string
}

// String is the cursor as a page's link carries it ("" for the start).
func (c BureauCursor) String() string {
	if c.ID == "" {
		return ""
	}
	return strconv.FormatInt(sqlstore.Micro(c.DueDate), 10) + "." + strconv.FormatInt(sqlstore.Micro(c.SubmittedAt), 10) + "." + c.ID
}

// ParseBureauCursor reads a cursor written by String; ok is false for a
// malformed one.
func ParseBureauCursor(s string) (c BureauCursor, ok bool) {
	if s == "" {
		return c, true
	}
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 || parts[2] == "" {
		return c, false
	}
	due, err1 := strconv.ParseInt(parts[0], 10, 64)
	sub, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return c, false
	}
	return BureauCursor{DueDate: sqlstore.FromMicro(due), SubmittedAt: sqlstore.FromMicro(sub), ID: parts[2]}, true
}

// BureauQueuePage is one page of BureauQueue: up to limit orders in bureau
// review of the province after the cursor, in the queue's order (Rule
// REV-2), with the cursor of the page's last order when more follow (the
// zero cursor on the last page) and the number of orders in the queue.
// It is a keyset read of the index registry_submissions_queue (province,
// status, due_date), so a page costs the same however long the queue
// (issue 7: the bureau desk under 50 ms at p99 with 100,000 orders). A
// province is required here: "" or an unknown one has an empty queue.
func (r *Registry) BureauQueuePage(ctx context.Context, province string, after BureauCursor, limit int) (items []QueueItem, next BureauCursor, total int, err error) {
	defer beian.Wrap(&err, "bureau queue page")
	items = []QueueItem{}
	code, ok := r.reviewerProvince(Reviewer{Province: province})
	if !ok || code == "" {
		return items, next, 0, nil
	}
	if limit <= 0 {
		limit = 50
	}
	if err := r.DB.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM registry_submissions WHERE province = $1 AND status = 'bureau_review'`,
		code).Scan(&total); err != nil {
		return items, next, 0, err
	}
	q := `SELECT ` + submissionColumns + ` FROM registry_submissions WHERE province = $1 AND status = 'bureau_review'`
	args := []any{code}
	if after.ID != "" {
		due, sub := sqlstore.Micro(after.DueDate), sqlstore.Micro(after.SubmittedAt)
		q += ` AND due_date >= $2 AND (due_date > $2 OR submitted_at > $3 OR (submitted_at = $3 AND id > $4))`
		args = append(args, due, sub, after.ID)
	}
	q += ` ORDER BY due_date, submitted_at, id LIMIT ` + strconv.Itoa(limit+1)
	rows, err := r.DB.SQL.QueryContext(ctx, q, args...)
	if err != nil {
		return items, next, 0, err
	}
	defer rows.Close()
	today := beian.DateOf(r.DB.Clock.Now())
	for rows.Next() {
		s, err := scanSubmission(rows)
		if err != nil {
			return items, next, 0, err
		}
		if len(items) == limit {
			last := items[len(items)-1]
			next = BureauCursor{DueDate: last.DueDate, SubmittedAt: last.SubmittedAt, ID: last.SubmissionID}
			break
		}
		items = append(items, queueItem(s, today))
	}
	return items, next, total, rows.Err()
}

// queueItem is a submission as its bureau's queue shows it.
func queueItem(s StoredSubmission, today time.Time) QueueItem {
	it := QueueItem{SubmissionID: s.ID, OrderNumber: s.OrderNumber, Provider: s.Provider, Type: s.Type, Commercial: s.Data.Commercial,
		Province: s.Province, SubjectName: s.Data.Subject.Name, SubjectNumber: s.SubjectNumber, Websites: []string{},
		SubmittedAt: s.SubmittedAt, DueDate: s.DueDate, Overdue: s.DueDate.Before(today)}
	for _, w := range s.Data.Websites {
		it.Websites = append(it.Websites, w.Name)
	}
	return it
}
