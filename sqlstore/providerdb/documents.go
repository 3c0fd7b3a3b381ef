package providerdb

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// Document is the metadata of an order's document (certificate scan,
// photo, form…); its content lives in the blob store under SHA256 (Rule
// PRIV-1: personal data, shown to its owner and to staff who need it).
type Document struct {
	ID, OrderID int64
	Kind        string // e.g. "id_front", "licence", "photo"
	SHA256      string // the blob's name: 64 lower-case hex digits
	ContentType string
	Bytes       int64
	UploadedBy  int64 // the account that uploaded it
	CreatedAt   time.Time
	DeletedAt   time.Time // zero while live (retention, PRIV-1)
}

const documentColumns = `id, order_id, kind, sha256, content_type, bytes, uploaded_by, created_at, deleted_at`

// documentColumnsD are documentColumns of the table aliased d.
const documentColumnsD = `d.id, d.order_id, d.kind, d.sha256, d.content_type, d.bytes, d.uploaded_by, d.created_at, d.deleted_at`

func scanDocument(row interface{ Scan(...any) error }) (d Document, err error) {
	var created, deleted int64
	err = row.Scan(&d.ID, &d.OrderID, &d.Kind, &d.SHA256, &d.ContentType, &d.Bytes, &d.UploadedBy, &created, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return d, beian.Errorf(beian.KindNotFound, "")
	}
	d.CreatedAt, d.DeletedAt = sqlstore.FromMicro(created), sqlstore.FromMicro(deleted)
	return d, err
}

// isSHA256Hex reports whether s is a SHA-256 in lower-case hex, the name
// the blob store gives content.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func documentAudit(d Document) map[string]any {
	return map[string]any{"order_id": d.OrderID, "kind": d.Kind, "sha256": d.SHA256, "bytes": d.Bytes,
		"content_type": d.ContentType, "uploaded_by": d.UploadedBy}
}

// AddDocument records a document's metadata for an order (Rule PRIV-1; the
// content is already in the blob store). Checked: kind, content type and
// uploader present, SHA256 64 hex digits (stored lower case), Bytes
// positive (document.* problems). An unknown order is not found. Who may
// upload to the order is the caller's decision.
func (s *Store) AddDocument(ctx context.Context, d Document, actor string) (out Document, err error) {
	defer beian.Wrap(&err, "add document to order %d", d.OrderID)
	d.SHA256 = strings.ToLower(d.SHA256)
	var ps beian.Problems
	if strings.TrimSpace(d.Kind) == "" {
		ps.Add("document.kind_required", "", "kind")
	}
	if !isSHA256Hex(d.SHA256) {
		ps.Add("document.sha256_invalid", "", "sha256")
	}
	if d.Bytes <= 0 {
		ps.Add("document.size_invalid", "", "bytes")
	}
	if strings.TrimSpace(d.ContentType) == "" {
		ps.Add("document.content_type_required", "", "content_type")
	}
	if d.UploadedBy <= 0 {
		ps.Add("document.uploader_required", "", "uploaded_by")
	}
	if err := ps.Err(); err != nil {
		return out, err
	}
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		if _, err := orderNumber(ctx, tx, d.OrderID); err != nil {
			return err
		}
		out, err = scanDocument(tx.QueryRowContext(ctx, `INSERT INTO documents (order_id, kind, sha256, content_type, bytes, uploaded_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+documentColumns,
			d.OrderID, d.Kind, d.SHA256, d.ContentType, d.Bytes, d.UploadedBy, sqlstore.Micro(tx.Now)))
		if err != nil {
			return sqlstore.MapErr(err)
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "document.add", Entity: "document",
			EntityID: itoa(out.ID), After: documentAudit(out)})
		return err
	})
	return out, err
}

// Documents lists the order's live documents, oldest first (for code that
// has already decided who may see them; see DocumentOf and ViewDocument).
func (s *Store) Documents(ctx context.Context, orderID int64) (out []Document, err error) {
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT `+documentColumns+` FROM documents WHERE order_id = $1 AND deleted_at = 0 ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = []Document{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DocumentOf returns a live document of the order for the account that
// owns the order (Rule PRIV-1). Another account's document, one of another
// order, or a deleted one is not found (the tenant rule: 404, not 403).
func (s *Store) DocumentOf(ctx context.Context, accountID, orderID, docID int64) (Document, error) {
	return scanDocument(s.DB.SQL.QueryRowContext(ctx, `SELECT `+documentColumnsD+` FROM documents d JOIN orders o ON o.id = d.order_id
		WHERE d.id = $1 AND d.order_id = $2 AND o.account_id = $3 AND d.deleted_at = 0`, docID, orderID, accountID))
}

// staffRole reports whether the role's work needs order documents (Rule
// PRIV-1): reviewers check them, verifiers take and check the photo,
// provider admins handle escalations.
func staffRole(r beian.Role) bool {
	return r == beian.RoleProviderReviewer || r == beian.RoleVerifier || r == beian.RoleProviderAdmin
}

// ViewDocument returns a live document of the order to provider staff and
// writes the view to the audit log in the same transaction (Rule PRIV-1:
// every staff view of a document is audited; action "document.view"). The
// role must be a staff role and be the account's stored role, else
// forbidden (document.staff_only); a missing document is not found.
func (s *Store) ViewDocument(ctx context.Context, staffAccountID int64, role string, orderID, docID int64) (d Document, err error) {
	defer beian.Wrap(&err, "view document %d", docID)
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		var stored string
		err := tx.QueryRowContext(ctx, `SELECT role FROM provider_accounts WHERE id = $1 AND disabled_at = 0`, staffAccountID).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if stored != role || !staffRole(beian.Role(role)) {
			return &beian.Error{Kind: beian.KindForbidden, Code: "document.staff_only",
				Problems: beian.Problems{beian.NewProblem("document.staff_only", "PRIV-1", "")}}
		}
		d, err = scanDocument(tx.QueryRowContext(ctx, `SELECT `+documentColumns+` FROM documents
			WHERE id = $1 AND order_id = $2 AND deleted_at = 0`, docID, orderID))
		if err != nil {
			return err
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: "account:" + itoa(staffAccountID), Action: "document.view",
			Entity: "document", EntityID: itoa(d.ID), After: map[string]any{"order_id": d.OrderID, "kind": d.Kind, "role": role}})
		return err
	})
	if err != nil {
		return Document{}, err
	}
	return d, nil
}

// DeleteDocumentsOfAbandoned applies the retention of Rule PRIV-1: it marks
// deleted every live document of the orders abandoned before before (the
// caller's retention, default 90 days ago), with one audit record each, and
// returns the blob hashes nothing refers to any more — no live document,
// and no verification of an order other than those abandoned orders —
// which the caller may then remove from the blob store. A second run finds
// nothing and writes nothing.
func (s *Store) DeleteDocumentsOfAbandoned(ctx context.Context, before time.Time) (shas []string, err error) {
	defer beian.Wrap(&err, "delete documents of abandoned orders")
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		shas = []string{}
		cutoff := sqlstore.Micro(before)
		rows, err := tx.QueryContext(ctx, `UPDATE documents SET deleted_at = $1
			WHERE deleted_at = 0 AND order_id IN (SELECT id FROM orders WHERE stage = 'abandoned' AND stage_at < $2)
			RETURNING `+documentColumns, sqlstore.Micro(tx.Now), cutoff)
		if err != nil {
			return err
		}
		var gone []Document
		for rows.Next() {
			d, err := scanDocument(rows)
			if err != nil {
				rows.Close()
				return err
			}
			gone = append(gone, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		slices.SortFunc(gone, func(a, b Document) int { return cmp.Compare(a.ID, b.ID) })
		for _, d := range gone {
			if slices.Contains(shas, d.SHA256) {
				continue
			}
			var n int
			err := tx.QueryRowContext(ctx, `SELECT
				(SELECT COUNT(*) FROM documents WHERE sha256 = $1 AND deleted_at = 0) +
				(SELECT COUNT(*) FROM verifications v JOIN orders o ON o.id = v.order_id
					WHERE v.photo_sha256 = $1 AND NOT (o.stage = 'abandoned' AND o.stage_at < $2))`, d.SHA256, cutoff).Scan(&n)
			if err != nil {
				return err
			}
			if n == 0 {
				shas = append(shas, d.SHA256)
			}
		}
		slices.Sort(shas)
		for _, d := range gone {
			err := s.Audit.Append(ctx, tx, audit.Entry{Actor: "system", Action: "document.delete", Entity: "document",
				EntityID: itoa(d.ID), Before: documentAudit(d), After: map[string]any{"deleted_at": sqlstore.Micro(d.DeletedAt)}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	return shas, err
}
