package workflow

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/beian/beian"
)

var update = flag.Bool("update", false, "rewrite docs/order-states.md from Markdown()")

// docs/order-states.md is Markdown()'s output; -update rewrites it.
func TestOrderStatesDoc(t *testing.T) {
	path := filepath.Join("..", filepath.FromSlash(DocPath))
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with go test ./workflow -run TestOrderStatesDoc -update)", err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date: run go test ./workflow -run TestOrderStatesDoc -update", DocPath)
	}
	if first, _, _ := strings.Cut(want, "\n"); !strings.Contains(first, "Generated") ||
		!strings.Contains(first, "-run TestOrderStatesDoc -update") {
		t.Errorf("first line does not say how the file is generated: %q", first)
	}
	if n := strings.Count(want, "stateDiagram-v2"); n != len(families) {
		t.Errorf("%d diagrams, want %d", n, len(families))
	}
}

// Every order belongs to exactly one family of the documentation, and its
// table (person variant settled) is the family's (REV-8).
func TestFamilies(t *testing.T) {
	strip := func(ts []Transition) []Transition {
		for i := range ts {
			ts[i].Note = ""
		}
		return ts
	}
	for _, t0 := range beian.OrderTypes {
		for _, np := range []bool{false, true} {
			o := Order{Type: t0, NewResponsiblePerson: np}
			var in []int
			for i, f := range families {
				if f.match(o) {
					in = append(in, i)
				}
			}
			if len(in) != 1 {
				t.Errorf("%+v is in families %v", o, in)
				continue
			}
			f := families[in[0]]
			if got, want := strip(familyTable(o)), strip(familyTable(f.rep)); !reflect.DeepEqual(got, want) {
				t.Errorf("%+v does not follow the graph of %q", o, f.title)
			}
			if !slices.Equal(Path(o), Path(f.rep)) {
				t.Errorf("%+v: path %v, family's %v", o, Path(o), Path(f.rep))
			}
		}
	}
}

// The catalogues hold every code Next emits, in both languages, with the
// {stage} and {event} placeholders, saying what to do next.
func TestMessages(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		b, err := os.ReadFile(filepath.Join("..", "i18n", "messages", lang, "workflow.json"))
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]string
		if err := json.Unmarshal(b, &msgs); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		for code := range Codes() {
			m := msgs[code]
			switch {
			case m == "":
				t.Errorf("%s: no message for %s", lang, code)
			case !strings.Contains(m, "{stage}") || !strings.Contains(m, "{event}"):
				t.Errorf("%s: %s lacks {stage} or {event}: %q", lang, code, m)
			case lang == "zh-CN" && !strings.ContainsAny(m, "请可"):
				t.Errorf("%s: %s does not say what to do: %q", lang, code, m)
			case lang == "en" && !strings.Contains(m, "."):
				t.Errorf("%s: %s is not a sentence: %q", lang, code, m)
			}
		}
		for code := range msgs {
			if _, ok := Codes()[code]; !ok {
				t.Errorf("%s: %s is not a code of this package", lang, code)
			}
		}
	}
}

// Every stage, event and actor has a display name in both languages.
func TestNames(t *testing.T) {
	check := func(wire, zh, en string) {
		t.Helper()
		if zh == "" || en == "" || zh == wire || zh == en || !strings.ContainsFunc(zh, func(r rune) bool { return r > 0x2e80 }) {
			t.Errorf("%s: names %q, %q", wire, zh, en)
		}
	}
	for _, s := range beian.Stages {
		check(string(s), StageName(s, "zh-CN"), StageName(s, "en"))
	}
	for _, e := range Events {
		check(string(e), EventName(e, "zh-CN"), EventName(e, "en-US"))
	}
	for _, a := range Actors {
		check(string(a), ActorName(a, ""), ActorName(a, "EN"))
	}
	if got := StageName("bogus", "en"); got != "bogus" {
		t.Errorf("unknown stage: %q", got)
	}
	if got := StageName("initial_review", "fr"); got != "初审中" {
		t.Errorf("default language: %q", got)
	}
}
