package regulator

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
)

// issuePasswords issues the passwords owed and expects want of them.
func (e *env) issuePasswords(tb testing.TB, want int) {
	tb.Helper()
	n, more, err := e.IssueDuePasswords(e.ctx)
	if err != nil || n != want || more {
		tb.Fatalf("issued %d (more %v), want %d: %v", n, more, want, err)
	}
}

// passwordMessages counts the password messages queued for the subject's
// person (SMS and email).
func (e *env) passwordMessages(tb testing.TB) int {
	tb.Helper()
	n := 0
	for _, m := range e.outbox(tb) {
		if m.Template == TemplatePasswordIssued {
			n++
		}
	}
	return n
}

// Rule PWD-1: the approval owes the password and does not wait for its
// hash; IssueDuePasswords issues it once, however many callers race for
// it, and a debt left by a crash is still there to pay.
func TestPasswordOwedThenIssuedOnce(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k1")
		res, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true})
		if err != nil {
			t.Fatal(err)
		}
		var hash string
		if err := e.DB.SQL.QueryRow(`SELECT password_hash FROM registry_subjects WHERE number = $1`, res.SubjectNumber).Scan(&hash); err != nil || hash != "" {
			t.Fatalf("hash %q before the debt is paid, %v", hash, err)
		}
		if n := e.passwordMessages(t); n != 0 {
			t.Fatalf("%d password messages before the debt is paid", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM registry_password_due WHERE subject_number = $1 AND submission_id = $2`, res.SubjectNumber, rc.SubmissionID); n != 1 {
			t.Fatalf("%d debts recorded", n)
		}
		// A restart finds the debt where the approval left it: several
		// instances race for it, one pays.
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 4 {
			wg.Go(func() {
				n, _, err := e.IssueDuePasswords(e.ctx)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			})
		}
		wg.Wait()
		if total != 1 || e.passwordMessages(t) != 2 { // SMS and email
			t.Fatalf("issued %d times, %d messages; want once, 2", total, e.passwordMessages(t))
		}
		if err := e.DB.SQL.QueryRow(`SELECT password_hash FROM registry_subjects WHERE number = $1`, res.SubjectNumber).Scan(&hash); err != nil || hash == "" {
			t.Fatalf("no hash after the debt is paid: %v", err)
		}
		e.issuePasswords(t, 0)
		evs := e.events(t, provA)
		if last := evs[len(evs)-1]; last.Type != beian.EventPasswordIssued {
			t.Fatalf("last event %s, want password_issued", last.Type)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM registry_audit WHERE action = 'password.issue' AND entity_id = $1`, res.SubjectNumber); n != 1 {
			t.Fatalf("%d audit records of the issue", n)
		}
	})
}

// RunPasswords pays a debt as soon as the approval that owes it commits,
// without waiting for its poll.
func TestRunPasswordsWakesOnApproval(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(e.ctx)
		done := make(chan struct{})
		go func() { defer close(done); e.RunPasswords(ctx, nil) }()
		defer func() { cancel(); <-done }()
		time.Sleep(50 * time.Millisecond) // its first look finds nothing owed
		rc := e.toBureau(t, provA, e.firstFiling(t, "O-1"), "k1")
		if _, err := e.Decide(e.ctx, zj, rc.SubmissionID, Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(PasswordPoll / 2) // well before the poll
		for e.passwordMessages(t) != 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%d password messages %v after the approval", e.passwordMessages(t), PasswordPoll/2)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
