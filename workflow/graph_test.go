package workflow

import (
	"slices"
	"testing"

	"github.com/beian/beian"
)

// REV-8: the happy path of every type, written out.
func TestPath(t *testing.T) {
	long := []beian.Stage{"draft", "initial_review", "verification", "photo_review", "sms_confirmation", "bureau_review", "approved"}
	short := []beian.Stage{"draft", "initial_review", "sms_confirmation", "bureau_review", "approved"}
	for _, tc := range []struct {
		name string
		o    Order
		want []beian.Stage
	}{
		{"Long/FirstFiling", Order{Type: beian.FirstFiling}, long},
		{"Long/NewWebsite", Order{Type: beian.NewWebsite}, long},
		{"Long/TransferIn", Order{Type: beian.TransferIn}, long},
		{"Long/FirstFilingFlagIgnored", Order{Type: beian.FirstFiling, NewResponsiblePerson: true, Edited: true}, long},
		{"Long/ChangeSubjectNewPerson", Order{Type: beian.ChangeSubject, NewResponsiblePerson: true}, long},
		{"Long/ChangeWebsiteNewPerson", Order{Type: beian.ChangeWebsite, NewResponsiblePerson: true}, long},
		{"Long/ChangeAccessNewPerson", Order{Type: beian.ChangeAccess, NewResponsiblePerson: true}, long},
		{"Short/ChangeSubject", Order{Type: beian.ChangeSubject}, short},
		{"Short/ChangeWebsite", Order{Type: beian.ChangeWebsite}, short},
		{"Short/ChangeAccess", Order{Type: beian.ChangeAccess}, short},
		{"Short/CancelSubject", Order{Type: beian.CancelSubject}, short},
		{"Short/CancelWebsite", Order{Type: beian.CancelWebsite}, short},
		{"Short/CancelSubjectNewPersonIgnored", Order{Type: beian.CancelSubject, NewResponsiblePerson: true}, short},
		{"Short/FirstFilingReusedPhoto", Order{Type: beian.FirstFiling, ReusePhoto: true}, short}, // REV-6
		{"Short/ChangeNewPersonReusedPhoto", Order{Type: beian.ChangeSubject, NewResponsiblePerson: true, ReusePhoto: true}, short},
		{"Direct/CancelAccess", Order{Type: beian.CancelAccess}, []beian.Stage{"draft", "approved"}}, // CAN-5
		{"None/UnknownType", Order{Type: "bogus"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Path(tc.o); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// step finds an event and an actor that Next accepts from one stage to the other.
func step(o Order, from, to beian.Stage) bool {
	for _, ev := range Events {
		for _, a := range Actors {
			if got, err := Next(o, from, ev, a); err == nil && got == to {
				return true
			}
		}
	}
	return false
}

// graph maps each stage to the stages Next reaches from it in one event.
func graph(o Order) map[beian.Stage][]beian.Stage {
	g := map[beian.Stage][]beian.Stage{}
	for _, s := range beian.Stages {
		for _, ev := range Events {
			for _, a := range Actors {
				if got, err := Next(o, s, ev, a); err == nil && !slices.Contains(g[s], got) {
					g[s] = append(g[s], got)
				}
			}
		}
	}
	return g
}

// reachable lists the stages reachable in g from s, s included.
func reachable(g map[beian.Stage][]beian.Stage, s beian.Stage) []beian.Stage {
	seen := []beian.Stage{s}
	for i := 0; i < len(seen); i++ {
		for _, n := range g[seen[i]] {
			if !slices.Contains(seen, n) {
				seen = append(seen, n)
			}
		}
	}
	return seen
}

// Every type's happy path is walked by Next, event by event, from draft.
func TestPathReachableByNext(t *testing.T) {
	for _, o := range allOrders() {
		p := Path(o)
		for i := 1; i < len(p); i++ {
			if !step(o, p[i-1], p[i]) {
				t.Errorf("%+v: no event leads %s → %s", o, p[i-1], p[i])
			}
		}
	}
}

// The stages reachable from draft are exactly the family's (REV-8) — less
// verification and photo review while a photo is reused (REV-6) — and from
// every stage of the family a terminal stage can be reached: no order gets
// stuck, also when its flags change on the way.
func TestEveryStageReachesTerminal(t *testing.T) {
	for _, o := range allOrders() {
		if o.Type == "bogus" {
			continue
		}
		g := graph(o)
		got := reachable(g, "draft")
		want := stagesOf[graphOf(o)]
		if graphOf(o) == "photo" && o.ReusePhoto {
			want = stagesOf["short"]
		}
		if len(got) != len(want) || slices.ContainsFunc(want, func(s beian.Stage) bool { return !slices.Contains(got, s) }) {
			t.Errorf("Reachable/%+v: got %v, want %v", o, got, want)
		}
		for _, s := range stagesOf[graphOf(o)] {
			switch {
			case Terminal(s) && len(g[s]) > 0:
				t.Errorf("Terminal/%+v: %s leads to %v", o, s, g[s])
			case !Terminal(s) && !slices.ContainsFunc(reachable(g, s), Terminal):
				t.Errorf("Stuck/%+v: %s reaches no terminal stage", o, s)
			}
		}
	}
}

// Each transition of the table is what Next does for the orders it applies
// to, and at most one transition applies to an order for a stage and event.
func TestTransitionsAgreeWithNext(t *testing.T) {
	for _, o := range allOrders() {
		ts := Transitions(o.Type)
		if o.Type == "bogus" {
			if len(ts) != 0 {
				t.Errorf("unknown type has %d transitions", len(ts))
			}
			continue
		}
		for _, tr := range ts {
			if len(tr.Actors) == 0 || tr.Note == "" {
				t.Errorf("%s %s --%s-->: no actors or no note", o.Type, tr.From, tr.Event)
			}
			if !tr.Applies(o) {
				continue
			}
			for _, a := range tr.Actors {
				if got, err := Next(o, tr.From, tr.Event, a); err != nil || got != tr.To {
					t.Errorf("%+v: table %s --%s--> %s, Next gives %q, %v", o, tr.From, tr.Event, tr.To, got, err)
				}
			}
			n := 0
			for _, other := range ts {
				if other.From == tr.From && other.Event == tr.Event && other.Applies(o) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%+v: %d transitions apply to %s --%s-->", o, n, tr.From, tr.Event)
			}
		}
	}
}

// Transitions hands out a copy: changing it does not change the machine.
func TestTransitionsIsCopy(t *testing.T) {
	ts := Transitions(beian.FirstFiling)
	ts[0].To, ts[0].Actors[0] = "abandoned", System
	again := Transitions(beian.FirstFiling)
	if again[0].To == "abandoned" || again[0].Actors[0] == System {
		t.Error("Transitions shares its table with the caller")
	}
	if got, err := Next(Order{Type: beian.FirstFiling}, "draft", Submit, Customer); err != nil || got != "initial_review" {
		t.Errorf("Next changed: %q, %v", got, err)
	}
}

func TestTerminalAndAtRegistry(t *testing.T) {
	for _, s := range append(slices.Clone(beian.Stages), "bogus") {
		term := s == "approved" || s == "abandoned"
		reg := s == "sms_confirmation" || s == "bureau_review" // REV-7
		if Terminal(s) != term || AtRegistry(s) != reg {
			t.Errorf("%s: Terminal %v AtRegistry %v, want %v %v", s, Terminal(s), AtRegistry(s), term, reg)
		}
	}
}

func TestConditionHolds(t *testing.T) {
	all := Order{NewResponsiblePerson: true, Edited: true, ReusePhoto: true}
	for _, c := range []Condition{IfNewPerson, IfEdited, IfReusePhoto} {
		if !c.Holds(all) || c.Holds(Order{}) {
			t.Errorf("%s", c)
		}
	}
	for _, c := range []Condition{IfNoNewPerson, IfUnchanged, IfNewPhoto} {
		if c.Holds(all) || !c.Holds(Order{}) {
			t.Errorf("%s", c)
		}
	}
	if Condition("bogus").Holds(all) || Condition("bogus").Holds(Order{}) {
		t.Error("an unknown condition holds")
	}
}
