package provider

import (
	"context"
	"net/http"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// moveHandler answers the customer's withdraw (initial_review → draft) and
// abandon (final, only in a stage the provider holds) of Rule REV-7; the
// state machine refuses a submitted cancel_* order (Rule CAN-6) and an
// order at the registry. Abandoning arms the PRIV-1 retention of the
// order's documents.
func (s *Service) moveHandler(ev workflow.Event) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		o, p, err := s.orderOf(r)
		if err != nil {
			return err
		}
		version, err := optionalIfMatch(r, o.Version)
		if err != nil {
			return err
		}
		m := providerdb.Move{OrderID: o.ID, Version: version, Event: ev, By: workflow.Customer, Actor: p.Actor(),
			Key: moveKey(r.Header.Get("Idempotency-Key"), ev)}
		if ev == workflow.Abandon {
			m.Effect = func(ctx context.Context, tx *sqlstore.Tx, before, after beian.Order) error {
				return s.armRetention(ctx, tx, after)
			}
		}
		if o, err = s.Store.Transition(r.Context(), m); err != nil {
			return err
		}
		return s.writeOrder(w, r, http.StatusOK, o)
	}
}

// PreviewJSON is the whole order as the provider reviewer will see it
// (Rule REV-7): the order, the stages its path passes, and every problem
// the submit would report now, with the CAN-4 effect and the warnings.
type PreviewJSON struct {
	OrderJSON
	Path     []beian.Stage `json:"path"`
	Problems []MessageJSON `json:"problems"`
}

func (s *Service) handlePreview(w http.ResponseWriter, r *http.Request) error {
	o, _, err := s.orderOf(r)
	if err != nil {
		return err
	}
	ctx, lang := r.Context(), web.Lang(r)
	oj, err := s.orderJSON(ctx, lang, o)
	if err != nil {
		return err
	}
	out := PreviewJSON{OrderJSON: oj, Problems: []MessageJSON{}}
	in, err := s.insight(ctx, o)
	if err != nil {
		return err
	}
	out.Path = workflow.Path(workflow.Order{Type: o.Type, NewResponsiblePerson: in.newPerson})
	if o.Stage == beian.StageDraft || editableStage(o) {
		data, err := orderData(o.Data)
		if err != nil {
			return err
		}
		ps, _, err := s.submitProblems(ctx, o, data, in)
		if err != nil {
			return err
		}
		more, err := s.CheckData(ctx, o.AccountID, o.Type, o.Commercial, data)
		if err != nil {
			return err
		}
		out.Problems = renderProblems(lang, append(ps, more...), false)
	}
	web.SetETag(w, o.Version)
	w.Header().Set("Cache-Control", "no-store")
	return web.WriteJSON(w, http.StatusOK, out)
}
