package sandbox

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/notify"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
)

// Prefix is the path every sandbox route lies under.
const Prefix = "/api/v1/sandbox/"

// MaxBusinessDays bounds advance_business_days in one request.
const MaxBusinessDays = 1000

// Surface is the sandbox's HTTP surface (API.md, "Sandbox surface"). With
// Enabled false (no --sandbox, no demo), every /api/v1/sandbox/… request
// answers 404 and nothing else of the sandbox exists.
type Surface struct {
	// Enabled turns the surface on (--sandbox, demo).
	Enabled bool
	// DB is the shared database (the mailbox of both contexts).
	DB *sqlstore.DB
	// Clock is the sandbox clock, also the DB's and every runner's clock.
	Clock *Clock
	// Calendar counts business days; nil means calendar.Default().
	Calendar *calendar.Calendar
	// Runners are every context's timer runners, fired after the clock moves.
	Runners []*timer.Runner
	// Require checks the caller (the registry_admin role); it wraps every
	// enabled route. Nil lets every caller in (tests).
	Require func(http.Handler) http.Handler
	// Registry is the built-in registry the domain records, the seeded
	// filings and the bureau policy go to; nil leaves those routes out.
	// The verification app needs only DB.
	Registry *regulator.Registry

	mux *http.ServeMux
}

// Routes registers the surface on mux and keeps mux for Handle: the clock,
// the mailbox, the verification app and, with a Registry, the regulator's
// routes (regulator.go) when enabled, and in any case a catch-all answering 404
// for every other sandbox path (every sandbox path when disabled).
func (s *Surface) Routes(mux *http.ServeMux) {
	s.mux = mux
	notFound := web.Handle(func(http.ResponseWriter, *http.Request) error {
		return &beian.Error{Kind: beian.KindNotFound}
	})
	if !s.Enabled {
		mux.Handle(Prefix, notFound)
		mux.Handle(strings.TrimSuffix(Prefix, "/"), notFound)
		return
	}
	mux.Handle(Prefix, s.wrap(notFound))
	mux.Handle(strings.TrimSuffix(Prefix, "/"), s.wrap(notFound))
	s.Handle("GET "+Prefix+"clock", s.getClock)
	s.Handle("POST "+Prefix+"clock", s.postClock)
	s.Handle("GET "+Prefix+"messages", s.messages)
	s.regulatorRoutes()
}

// Handle registers a sandbox route ("POST /api/v1/sandbox/registry") on the
// mux given to Routes, behind Require, when the surface is enabled; when it
// is disabled it does nothing, so the route does not exist (404). Call
// Routes first.
func (s *Surface) Handle(pattern string, h web.Handler) {
	if !s.Enabled {
		return
	}
	if s.mux == nil {
		panic("sandbox: Handle(" + pattern + ") before Routes")
	}
	s.mux.Handle(pattern, s.wrap(web.Handle(h)))
}

func (s *Surface) wrap(h http.Handler) http.Handler {
	if s.Require == nil {
		return h
	}
	return s.Require(h)
}

// clockState is the answer of GET and POST /api/v1/sandbox/clock.
type clockState struct {
	Now           string  `json:"now"`
	OffsetSeconds float64 `json:"offset_seconds"`
	Estimated     bool    `json:"estimated"`
	Fired         *int    `json:"fired,omitempty"` // POST only
}

func (s *Surface) state(estimated bool) clockState {
	// One read of the offset for both fields, so they agree.
	off := s.Clock.Offset()
	now := s.Clock.base.Now().Add(off)
	return clockState{
		Now:           now.In(beian.CST).Format(time.RFC3339),
		OffsetSeconds: off.Seconds(),
		Estimated:     estimated,
	}
}

func (s *Surface) getClock(w http.ResponseWriter, r *http.Request) error {
	// Another instance may have moved it since the last periodic refresh.
	if err := s.Clock.Refresh(r.Context()); err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, s.state(false))
}

// clockBody is the body of POST /api/v1/sandbox/clock: exactly one field.
type clockBody struct {
	Set                 *string `json:"set"`
	Advance             *string `json:"advance"`
	AdvanceBusinessDays *int    `json:"advance_business_days"`
}

func badClockBody() error {
	return beian.Errorf(beian.KindBadRequest, "sandbox.clock_body", "max", strconv.Itoa(MaxBusinessDays))
}

// postClock moves the clock, then fires every timer due by the new time
// before it answers (API.md: "a POST returns only after every timer due by
// the new time has fired").
func (s *Surface) postClock(w http.ResponseWriter, r *http.Request) error {
	var b clockBody
	if err := web.DecodeJSON(r, &b); err != nil {
		return err
	}
	n := 0
	for _, set := range []bool{b.Set != nil, b.Advance != nil, b.AdvanceBusinessDays != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return badClockBody()
	}
	ctx := r.Context()
	estimated := false
	switch {
	case b.Set != nil:
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(*b.Set))
		if err != nil {
			return badClockBody()
		}
		if err := s.Clock.Set(ctx, t); err != nil {
			return err
		}
	case b.Advance != nil:
		d, err := time.ParseDuration(strings.TrimSpace(*b.Advance))
		if err != nil || d <= 0 {
			return badClockBody()
		}
		if err := s.Clock.Advance(ctx, d); err != nil {
			return err
		}
	default:
		days := *b.AdvanceBusinessDays
		if days <= 0 || days > MaxBusinessDays {
			return badClockBody()
		}
		est, err := s.Clock.AdvanceBusinessDays(ctx, days, s.Calendar)
		if err != nil {
			return err
		}
		estimated = est
	}
	fired, err := s.fireAll(ctx)
	if err != nil {
		return err
	}
	st := s.state(estimated)
	st.Fired = &fired
	return web.WriteJSON(w, http.StatusOK, st)
}

// fireAll fires the due timers of every runner until a whole round fires
// none, since a handler in one context may schedule timers, due already, in
// another. FireDue itself waits for timers other instances are firing.
func (s *Surface) fireAll(ctx context.Context) (total int, err error) {
	defer beian.Wrap(&err, "fire the timers due by the sandbox clock")
	for {
		round := 0
		for _, r := range s.Runners {
			n, err := r.FireDue(ctx)
			round += n
			if err != nil {
				return total + round, err
			}
		}
		total += round
		if round == 0 {
			return total, nil
		}
	}
}

// messages answers the sandbox mailbox of both contexts for ?to=, oldest
// first.
func (s *Surface) messages(w http.ResponseWriter, r *http.Request) error {
	to := strings.TrimSpace(r.URL.Query().Get("to"))
	if to == "" {
		return beian.Errorf(beian.KindBadRequest, "sandbox.to_required")
	}
	msgs, err := notify.Mailbox(r.Context(), s.DB, to)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, msgs)
}
