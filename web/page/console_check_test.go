package page

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// The field check (POST /console/orders/{id}/check) answers, for the
// form's values, the problems the save would show beside the input named
// by "field", each with its rule's own message, and writes nothing; the
// session's token is needed, and another account's order is 404.
func TestConsoleCheck(t *testing.T) {
	consoleEach(t, func(t *testing.T, e *cEnv) {
		c := e.customer(t, true)
		o := e.create(t, c)
		path := "/console/orders/" + strconv.FormatInt(o.ID, 10) + "/check"
		check := func(as string, f url.Values) (int, cCheckJSON) {
			t.Helper()
			w := e.post(t, as, path, f)
			var out cCheckJSON
			if w.Code == http.StatusOK {
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("content type %q", ct)
				}
				if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
					t.Fatalf("%v: %s", err, w.Body.String())
				}
			}
			return w.Code, out
		}
		f := c.subjectForm(t, o.Version)
		f.Set("subject.person.mobile", "12345")
		f.Set("field", "subject.person.mobile")
		code, out := check(c.as, f)
		// The save's own answer for the same value, for its message.
		save := c.subjectForm(t, o.Version)
		save.Set("subject.person.mobile", "12345")
		sb := html.UnescapeString(e.post(t, c.as, "/console/orders/"+strconv.FormatInt(o.ID, 10)+"/edit", save).Body.String())
		if code != http.StatusOK || len(out.Problems) == 0 {
			t.Fatalf("bad mobile: %d %+v", code, out)
		}
		for _, pb := range out.Problems {
			if pb.Field != "subject.person.mobile" || pb.Message == "" || !strings.Contains(sb, pb.Message) {
				t.Errorf("problem %+v is not the save's message beside the mobile", pb)
			}
		}
		before := e.order(t, c)
		f = c.subjectForm(t, before.Version)
		f.Set("subject.name", "")
		f.Set("field", "subject.person.mobile")
		if code, out := check(c.as, f); code != http.StatusOK || len(out.Problems) != 0 {
			t.Errorf("good mobile (another field empty): %d %+v, want no problem of the mobile", code, out)
		}
		f.Del("field")
		if _, out := check(c.as, f); !containsField(out, "subject.name") {
			t.Errorf("without field, the step's problems: %+v", out)
		}
		if after := e.order(t, c); after.Version != before.Version || !bytes.Equal(after.Data, before.Data) {
			t.Errorf("the check wrote the form: version %d → %d", before.Version, after.Version)
		}
		// In English, the message is the catalogue's English one.
		f = c.subjectForm(t, before.Version)
		f.Set("subject.person.mobile", "12345")
		f.Set("field", "subject.person.mobile")
		f.Set("csrf", cCSRF)
		r := cRequest("POST", path+"?lang=en", f)
		r.Header.Set("X-Test-As", c.as)
		w := cServe(e.h, r)
		var en cCheckJSON
		_ = json.Unmarshal(w.Body.Bytes(), &en)
		if len(en.Problems) == 0 || en.Problems[0].Message == out.Problems[0].Message {
			t.Errorf("English answer: %s", w.Body.String())
		}
		if w := e.post(t, c.as, path, url.Values{"csrf": {"WRONG"}, "step": {"subject"}}); w.Code != http.StatusForbidden {
			t.Errorf("wrong token: %d", w.Code)
		}
		other := e.customer(t, true)
		if code, _ := check(other.as, url.Values{"step": {"subject"}}); code != http.StatusNotFound {
			t.Errorf("another account's order: %d", code)
		}
		// The form links the check and the script; the script is served.
		b := e.get(t, c.as, "/console/orders/"+strconv.FormatInt(o.ID, 10)+"/edit?step=subject").Body.String()
		if !strings.Contains(b, `data-check="`+path+`"`) || !strings.Contains(b, `<script src="/static/console.`) {
			t.Errorf("the form does not carry the check: %s", b)
		}
	})
}

// containsField reports whether the answer has a problem at the field.
func containsField(out cCheckJSON, field string) bool {
	for _, pb := range out.Problems {
		if pb.Field == field {
			return true
		}
	}
	return false
}

// Issue 7 item 6: every script the pages serve, gzipped, weighs under 30 KB
// in all.
func TestConsoleScriptBudget(t *testing.T) {
	const budget = 30 << 10
	names, err := fs.Glob(files, "static/*.js")
	if err != nil || len(names) == 0 {
		t.Fatalf("no scripts under static/: %v", err)
	}
	var total int
	for _, n := range names {
		b, err := fs.ReadFile(files, n)
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = zw.Write(b)
		_ = zw.Close()
		t.Logf("%s: %d bytes, %d gzipped", n, len(b), z.Len())
		total += z.Len()
	}
	if total >= budget {
		t.Errorf("scripts weigh %d bytes gzipped, over the %d budget", total, budget)
	}
}
