package provider

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// TimelineJSON is an order's timeline (Rules REV-2, REV-7, CAL-1): the
// stages it passed, the one it is in, and each step ahead on its path with
// its expected date; Estimated says some date fell in a year without a
// holiday file (CAL-1).
type TimelineJSON struct {
	Order     string           `json:"order"`
	Stage     beian.Stage      `json:"stage"`
	Done      []TimelineDone   `json:"done"`
	Ahead     []TimelineStep   `json:"ahead"`
	Bureau    BureauPrediction `json:"bureau"`
	Estimated bool             `json:"estimated"`
}

// TimelineDone is a stage the order entered, and left unless it is the current one.
type TimelineDone struct {
	Stage     beian.Stage `json:"stage"`
	EnteredAt time.Time   `json:"entered_at"`
	LeftAt    *time.Time  `json:"left_at,omitempty"`
	Event     string      `json:"event,omitempty"` // what moved it on
}

// TimelineStep is a step ahead: the date (YYYY-MM-DD, CST) by which it is
// expected to be done and how many business days it takes; for approved,
// the expected date of the bureau's decision.
type TimelineStep struct {
	Stage        beian.Stage `json:"stage"`
	Expected     string      `json:"expected"`
	BusinessDays int         `json:"business_days"`
	Estimated    bool        `json:"estimated"`
}

func (s *Service) handleTimeline(w http.ResponseWriter, r *http.Request) error {
	o, _, err := s.orderOf(r)
	if err != nil {
		return err
	}
	tl, err := s.Timeline(r.Context(), o)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return web.WriteJSON(w, http.StatusOK, tl)
}

// Timeline returns the order's timeline: the stages done from its stage
// history and, for each step ahead on its path (workflow.Path), the
// expected date from the calendar (CAL-1): provider reviews
// Options.ReviewSLADays, verification Options.VerificationDays, the SMS
// confirmation 1 business day, and the bureau review as PredictBureau
// says. A step whose expected date has passed is expected today.
func (s *Service) Timeline(ctx context.Context, o beian.Order) (TimelineJSON, error) {
	tl := TimelineJSON{Order: o.Number, Stage: o.Stage, Done: []TimelineDone{}, Ahead: []TimelineStep{}}
	hist, err := s.Store.StageHistory(ctx, o.ID)
	if err != nil {
		return tl, err
	}
	province := ""
	for _, h := range hist {
		province = h.Province
		if h.From == "" {
			continue
		}
		left := h.At
		tl.Done = append(tl.Done, TimelineDone{Stage: h.From, EnteredAt: h.EnteredAt, LeftAt: &left, Event: h.Event})
	}
	tl.Done = append(tl.Done, TimelineDone{Stage: o.Stage, EnteredAt: o.StageAt})
	if data, err := orderData(o.Data); err == nil && data.Subject.Province != "" {
		province = data.Subject.Province
	}
	now := s.now()
	if tl.Bureau, err = s.PredictBureau(ctx, province, now); err != nil {
		return tl, err
	}
	if workflow.Terminal(o.Stage) {
		return tl, nil
	}
	f, err := s.Store.OrderFactsOf(ctx, o.ID)
	if err != nil {
		return tl, err
	}
	path := workflow.Path(workflow.Order{Type: o.Type, NewResponsiblePerson: f.NewPerson || !isChangeType(o.Type)})
	// The path resumes where the customer's move sends the order (REV-8).
	resume := o.Stage
	switch o.Stage {
	case beian.StageNeedsFix, beian.StageSupplementRequested, beian.StageBureauRejected:
		resume = beian.StageInitialReview
	case beian.StageReturned:
		resume = beian.StageSMSConfirmation
	}
	i := slices.Index(path, resume)
	if i < 0 {
		return tl, nil
	}
	today := beian.DateOf(now)
	cursor := today
	for _, st := range path[i:] {
		if st == beian.StageDraft {
			continue
		}
		if st == beian.StageApproved {
			tl.Ahead = append(tl.Ahead, TimelineStep{Stage: st, Expected: cursor.Format(time.DateOnly)})
			break
		}
		start := cursor
		if st == o.Stage {
			start = beian.DateOf(o.StageAt)
		}
		days := s.stageDays(st, tl.Bureau)
		done, est := s.Calendar.AddBusinessDays(start, days)
		if done.Before(today) {
			done = today
		}
		tl.Estimated = tl.Estimated || est
		tl.Ahead = append(tl.Ahead, TimelineStep{Stage: st, Expected: done.Format(time.DateOnly), BusinessDays: days, Estimated: est})
		cursor = done
	}
	return tl, nil
}
