package regulator

import (
	"maps"
	"testing"

	"github.com/beian/beian"
)

// Rule CAN-1: a passed spot check is only recorded; a failed one (e.g. an
// unreachable phone) cancels the filing for false_information with the
// cancelled events out; the list is the province's own.
func TestSpotChecks(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, w1 := e.filed(t, "O-1")
		w2 := e.secondSite(t, subject)
		for _, tc := range []struct {
			name string
			rv   Reviewer
			in   SpotCheckInput
			kind beian.Kind
			code string
		}{
			{"ErrResult", zj, SpotCheckInput{Number: w2, Result: "maybe"}, beian.KindInvalid, "registry.spot_check_result"},
			{"ErrNoReason", zj, SpotCheckInput{Number: w2, Result: SpotFailed}, beian.KindInvalid, "registry.spot_check_reason"},
			{"ErrOtherProvince", Reviewer{Province: "110000"}, SpotCheckInput{Number: w2, Result: SpotFailed, Reason: "unreachable_phone"}, beian.KindNotFound, "registry.number_not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.RecordSpotCheck(e.ctx, tc.rv, tc.in)
				if !beian.IsKind(err, tc.kind) || (codeOf(err) != tc.code && !e.hasProblem(err, tc.code)) {
					t.Fatalf("got %v", err)
				}
			})
		}
		t.Run("Passed", func(t *testing.T) {
			sc, err := e.RecordSpotCheck(e.ctx, zj, SpotCheckInput{Number: subject, Result: SpotPassed, Reason: "ignored"})
			if err != nil || sc.Result != SpotPassed || sc.Reason != "" || sc.Cancellation != nil || e.statusOf(t, subject) != StatusActive {
				t.Fatalf("spot check %+v, %v", sc, err)
			}
		})
		t.Run("FailedCancelsWebsite", func(t *testing.T) {
			sc, err := e.RecordSpotCheck(e.ctx, zj, SpotCheckInput{Number: w2, Result: SpotFailed, Reason: "unreachable_phone", Note: "三次未接通"})
			if err != nil || sc.Cancellation == nil || sc.Cancellation.Reason != ReasonFalseInformation || sc.CancellationID != sc.Cancellation.ID {
				t.Fatalf("spot check %+v, %v", sc, err)
			}
			if e.statusOf(t, w2) != StatusCancelled || e.statusOf(t, w1) != StatusActive {
				t.Fatal("wrong statuses")
			}
			if got := e.cancelledEvents(t, provB); !maps.Equal(got, map[string]string{w2: ReasonFalseInformation}) {
				t.Fatalf("provB's events %v", got)
			}
		})
		t.Run("ErrCancelled", func(t *testing.T) {
			_, err := e.RecordSpotCheck(e.ctx, zj, SpotCheckInput{Number: w2, Result: SpotPassed})
			if !beian.IsKind(err, beian.KindInvalidState) || codeOf(err) != "registry.not_active" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("FailedCancelsSubject", func(t *testing.T) {
			if _, err := e.RecordSpotCheck(e.ctx, zj, SpotCheckInput{Number: subject, Result: SpotFailed, Reason: "false_information"}); err != nil {
				t.Fatal(err)
			}
			if e.statusOf(t, subject) != StatusCancelled || e.statusOf(t, w1) != StatusCancelled {
				t.Fatal("still active")
			}
			if got := e.cancelledEvents(t, provA); !maps.Equal(got, map[string]string{w1: ReasonFalseInformation, subject: ReasonFalseInformation}) {
				t.Fatalf("provA's events %v", got)
			}
		})
		t.Run("List", func(t *testing.T) {
			l, err := e.SpotChecks(e.ctx, zj, 0)
			if err != nil || len(l) != 3 || l[0].Number != subject || l[1].Number != w2 || l[1].CancellationID == 0 || l[2].Result != SpotPassed {
				t.Fatalf("list %+v, %v", l, err)
			}
			if l, _ := e.SpotChecks(e.ctx, Reviewer{Province: "110000"}, 0); len(l) != 0 {
				t.Fatalf("Beijing sees %+v", l)
			}
		})
	})
}
