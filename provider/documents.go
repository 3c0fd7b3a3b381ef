package provider

import (
	"bufio"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// DocumentJSON is a document of an order as the API shows it; its content
// is at GET /api/v1/orders/{id}/documents/{doc} (Rule PRIV-1).
type DocumentJSON struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	SHA256      string    `json:"sha256"`
	Bytes       int64     `json:"bytes"`
	ContentType string    `json:"content_type"`
	CreatedAt   time.Time `json:"created_at"`
}

func documentJSON(d providerdb.Document) DocumentJSON {
	return DocumentJSON{ID: d.ID, Kind: d.Kind, SHA256: d.SHA256, Bytes: d.Bytes, ContentType: d.ContentType, CreatedAt: d.CreatedAt}
}

// documentTypes are the content types accepted for documents, by sniffing.
var documentTypes = []string{"image/jpeg", "image/png", "image/webp", "application/pdf"}

var documentKind = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// documentLimit is the largest document accepted (Options.MaxDocumentBytes).
func (s *Service) documentLimit() int64 {
	if s.Options.MaxDocumentBytes > 0 {
		return s.Options.MaxDocumentBytes
	}
	return 10 << 20
}

// documentsEditable reports whether documents (of the kind; "" for any)
// may be added to the order in its stage, as workflow.Editable says for
// the "documents" field (draft, returned, supplement_requested, and after
// a rejection that flagged the documents).
func documentsEditable(o beian.Order, kind string) bool {
	if workflow.Editable(o.Stage, o.Flagged, "documents") {
		return true
	}
	return kind != "" && workflow.Editable(o.Stage, o.Flagged, "documents."+kind)
}

// handleUploadDocument stores a document of the customer's order: a
// multipart form (a "kind" field, then a "file" part) or the raw body with
// ?kind=. Over the limit it is 413; outside an editable stage 409; a type
// other than JPEG, PNG, WebP or PDF 422.
func (s *Service) handleUploadDocument(w http.ResponseWriter, r *http.Request) error {
	o, p, err := s.orderOf(r)
	if err != nil {
		return err
	}
	kind := r.URL.Query().Get("kind")
	var body io.Reader = r.Body
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		mr, err := r.MultipartReader()
		if err != nil {
			return beian.Errorf(beian.KindBadRequest, "order.document_form_invalid")
		}
		body = nil
		for body == nil {
			part, err := mr.NextPart()
			if err != nil {
				return tooLargeOr(err, beian.Errorf(beian.KindBadRequest, "order.document_form_invalid"))
			}
			switch part.FormName() {
			case "kind":
				b, _ := io.ReadAll(io.LimitReader(part, 64))
				kind = strings.TrimSpace(string(b))
			case "file":
				body = part
			}
		}
	}
	if !documentKind.MatchString(kind) {
		return problem("order.document_kind_invalid", "PRIV-1", "kind")
	}
	if !documentsEditable(o, kind) {
		return beian.Errorf(beian.KindInvalidState, "order.documents_locked", "stage", string(o.Stage))
	}
	br := bufio.NewReaderSize(&capped{r: body, left: s.documentLimit()}, 512)
	head, _ := br.Peek(512)
	ct := http.DetectContentType(head)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if len(head) == 0 {
		return problem("order.document_empty", "PRIV-1", "file")
	}
	if !contains(documentTypes, ct) {
		return problem("order.document_type_invalid", "PRIV-1", "file")
	}
	ref, err := s.Blobs.Put(r.Context(), br)
	if err != nil {
		return tooLargeOr(err, err)
	}
	d, err := s.Store.AddDocument(r.Context(), providerdb.Document{OrderID: o.ID, Kind: kind, SHA256: ref.SHA256,
		ContentType: ct, Bytes: ref.Size, UploadedBy: p.AccountID}, p.Actor())
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusCreated, documentJSON(d))
}

// capped reads at most left bytes and fails with too_large past them.
type capped struct {
	r    io.Reader
	left int64
}

func (c *capped) Read(b []byte) (int, error) {
	if c.left < 0 {
		return 0, c.err()
	}
	if int64(len(b)) > c.left+1 {
		b = b[:c.left+1]
	}
	n, err := c.r.Read(b)
	c.left -= int64(n)
	if c.left < 0 {
		return n, c.err()
	}
	return n, err
}

func (c *capped) err() error {
	return beian.Errorf(beian.KindTooLarge, "order.document_too_large")
}

// tooLargeOr maps a body over a limit to too_large, any other error to other.
func tooLargeOr(err, other error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || beian.IsKind(err, beian.KindTooLarge) {
		return beian.Errorf(beian.KindTooLarge, "order.document_too_large")
	}
	return other
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// handleGetDocument answers a document's content: to the customer who owns
// the order, and to provider staff with the view written to the audit log
// (Rule PRIV-1, providerdb.ViewDocument).
func (s *Service) handleGetDocument(w http.ResponseWriter, r *http.Request) error {
	o, p, err := s.orderOf(r)
	if err != nil {
		return err
	}
	docID, err := strconv.ParseInt(r.PathValue("doc"), 10, 64)
	if err != nil || docID <= 0 {
		return beian.Errorf(beian.KindNotFound, "")
	}
	var d providerdb.Document
	if p.Role == beian.RoleCustomer {
		d, err = s.Store.DocumentOf(r.Context(), p.AccountID, o.ID, docID)
	} else {
		d, err = s.Store.ViewDocument(r.Context(), p.AccountID, string(p.Role), o.ID, docID)
	}
	if err != nil {
		return err
	}
	f, _, err := s.Blobs.Open(d.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Length", strconv.FormatInt(d.Bytes, 10))
	h.Set("Content-Disposition", `attachment; filename="document-`+strconv.FormatInt(d.ID, 10)+`"`)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(w, f)
	return err
}

// TimerDocumentRetention is the timer kind of the PRIV-1 retention of an
// abandoned order's documents; its ref is the order number.
const TimerDocumentRetention = "documents_retention"

// armRetention schedules the purge of the abandoned order's documents
// after Options.RetentionDays calendar days (Rule PRIV-1), in the
// abandon's transaction.
func (s *Service) armRetention(ctx context.Context, tx *sqlstore.Tx, o beian.Order) error {
	due := tx.Now.In(beian.CST).AddDate(0, 0, s.Options.RetentionDays)
	return s.Timers.Schedule(ctx, tx, TimerDocumentRetention, o.Number, due, "")
}

// OrderTimerHandlers returns the handlers of the orders' durable timers:
// the PRIV-1 retention. A firing purges after its transaction commits and
// re-arms itself for the next day while the order still has live
// documents, so a purge that failed is tried again.
func (s *Service) OrderTimerHandlers() map[string]timer.Handler {
	return map[string]timer.Handler{TimerDocumentRetention: func(ctx context.Context, tx *sqlstore.Tx, tm timer.Timer) error {
		o, err := s.Store.OrderByNumberTx(ctx, tx, tm.Ref)
		if beian.IsKind(err, beian.KindNotFound) {
			return nil
		}
		if err != nil || o.Stage != beian.StageAbandoned {
			return err
		}
		var live int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents WHERE order_id = $1 AND deleted_at = 0`, o.ID).Scan(&live); err != nil {
			return err
		}
		if live == 0 {
			return nil
		}
		if err := s.Timers.Schedule(ctx, tx, TimerDocumentRetention, tm.Ref, tx.Now.Add(24*time.Hour), ""); err != nil {
			return err
		}
		tx.AfterCommit(func() {
			if _, err := s.PurgeDocuments(context.WithoutCancel(ctx)); err != nil {
				s.Log.Error("document retention", "order", tm.Ref, "err", err)
			}
		})
		return nil
	}}
}

// PurgeDocuments deletes the documents of orders abandoned more than
// Options.RetentionDays ago and the blobs nothing refers to any more (Rule
// PRIV-1); it returns how many blobs it removed.
func (s *Service) PurgeDocuments(ctx context.Context) (int, error) {
	cutoff := s.now().In(beian.CST).AddDate(0, 0, -s.Options.RetentionDays).Add(time.Microsecond)
	shas, err := s.Store.DeleteDocumentsOfAbandoned(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, sha := range shas {
		if err := s.Blobs.Delete(sha); err != nil && !beian.IsKind(err, beian.KindNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}
