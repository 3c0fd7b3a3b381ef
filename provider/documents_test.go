package provider

import (
	"bytes"
	"mime/multipart"
	"strconv"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/workflow"
)

// gPNG is a small PNG document.
var gPNG = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 200)...)

// Rule PRIV-1: uploads (multipart or raw, size-limited, only in editable
// stages), the owner's and staff's reads (staff audited), another tenant
// 404, and the purge of an abandoned order's documents after the retention.
func TestOrderDocuments(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.svc.Options.MaxDocumentBytes = 1 << 10
		c := e.customer(t)
		o, _ := c.gCreate(t, 201, beian.FirstFiling, gPersonForm(t, gCert(t), "wangwu-docs.cn"))

		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("kind", "id_front")
		fw, _ := mw.CreateFormFile("file", "id.png")
		_, _ = fw.Write(gPNG)
		_ = mw.Close()
		var d1 DocumentJSON
		c.call(t, 201, "POST", gPath(o.ID, "/documents"), buf.Bytes(), &d1, "Content-Type", mw.FormDataContentType())
		if d1.Kind != "id_front" || d1.ContentType != "image/png" || d1.Bytes != int64(len(gPNG)) {
			t.Fatalf("document %+v", d1)
		}
		var d2 DocumentJSON
		pdf := []byte("%PDF-1.4\n" + string(bytes.Repeat([]byte("x"), 100)))
		c.call(t, 201, "POST", gPath(o.ID, "/documents?kind=commitment_letter"), pdf, &d2, "Content-Type", "application/pdf")

		c.call(t, 413, "POST", gPath(o.ID, "/documents?kind=licence"), append(gPNG, bytes.Repeat([]byte{1}, 2<<10)...), nil)
		var eb errorBody
		c.call(t, 422, "POST", gPath(o.ID, "/documents?kind=licence"), []byte("just text, not a document"), &eb)
		wantProblems(t, eb, "order.document_type_invalid@file")
		c.call(t, 422, "POST", gPath(o.ID, "/documents?kind=Bad-Kind"), gPNG, nil)

		code, body, h := c.do(t, "GET", gPath(o.ID, "/documents/")+gItoa(d1.ID), nil)
		if code != 200 || !bytes.Equal(body, gPNG) || h.Get("Content-Type") != "image/png" {
			t.Fatalf("owner read: %d %q", code, h.Get("Content-Type"))
		}
		var got OrderJSON
		c.call(t, 200, "GET", gPath(o.ID, ""), nil, &got)
		if len(got.Documents) != 2 {
			t.Fatalf("documents listed %+v", got.Documents)
		}
		e.customer(t).call(t, 404, "GET", gPath(o.ID, "/documents/")+gItoa(d1.ID), nil, nil)
		c.call(t, 404, "GET", gPath(o.ID, "/documents/999"), nil, nil)

		// Staff read, each view audited (PRIV-1).
		before := e.auditCount(t, "document.view")
		rv := e.account(t, beian.RoleProviderReviewer, "")
		if code, body, _ := rv.do(t, "GET", gPath(o.ID, "/documents/")+gItoa(d1.ID), nil); code != 200 || !bytes.Equal(body, gPNG) {
			t.Fatalf("staff read %d", code)
		}
		if e.auditCount(t, "document.view") != before+1 {
			t.Fatal("staff view not audited")
		}

		// In review the documents are locked.
		e.gMove(t, o.ID, workflow.Submit, workflow.Customer)
		c.call(t, 409, "POST", gPath(o.ID, "/documents?kind=licence"), gPNG, nil)

		// Abandoned: purged after the retention by the durable timer (PRIV-1).
		c.call(t, 200, "POST", gPath(o.ID, "/abandon"), nil, nil)
		e.advance(t, time.Duration(e.svc.Options.RetentionDays-1)*24*time.Hour)
		if ok, _ := e.svc.Blobs.Has(d1.SHA256); !ok {
			t.Fatal("purged before the retention")
		}
		e.advance(t, 25*time.Hour)
		if ok, _ := e.svc.Blobs.Has(d1.SHA256); ok {
			t.Fatal("not purged after the retention")
		}
		if live, err := e.svc.Store.Documents(e.ctx, o.ID); err != nil || len(live) != 0 {
			t.Fatalf("live documents after the purge: %+v %v", live, err)
		}
	})
}

func gItoa(n int64) string { return strconv.FormatInt(n, 10) }

// auditCount counts the provider's audit records of the action.
func (e *env) auditCount(tb testing.TB, action string) int {
	tb.Helper()
	var n int
	if err := e.db.SQL.QueryRow(`SELECT COUNT(*) FROM provider_audit WHERE action = $1`, action).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}
