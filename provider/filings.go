package provider

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/web"
)

// FilingsJSON is the customer's view of the account's filings (GET
// /api/v1/filings): the one subject of the account (Rule ACC-1), its
// websites with their numbers and access state at this provider (Rules
// GATE-1, GATE-2), and the orders still open.
type FilingsJSON struct {
	Subject  *FilingSubjectJSON  `json:"subject"`
	Websites []FilingWebsiteJSON `json:"websites"`
	Orders   []OpenOrderJSON     `json:"orders"`
}

// FilingSubjectJSON is the account's subject. The certificate number is
// masked: the answer is the owner's, but it need not echo personal data.
type FilingSubjectJSON struct {
	Nature     string              `json:"nature"`
	Name       string              `json:"name"`
	CertType   string              `json:"cert_type"`
	CertMasked string              `json:"cert_number_masked"`
	Province   string              `json:"province"`
	Number     string              `json:"number,omitempty"`
	Status     beian.SubjectStatus `json:"status"`
}

// FilingWebsiteJSON is one website of the subject with its access state.
type FilingWebsiteJSON struct {
	Number      string           `json:"number,omitempty"`
	Name        string           `json:"name"`
	Domains     []DomainJSON     `json:"domains"`
	Access      beian.GateReason `json:"access"`
	AccessUntil *time.Time       `json:"access_until,omitempty"`
}

// DomainJSON is a domain in its stored (ASCII) and shown (Unicode) forms (Rule WEB-4).
type DomainJSON struct {
	ASCII   string `json:"ascii"`
	Unicode string `json:"unicode"`
}

// OpenOrderJSON summarises an order that is neither approved nor abandoned.
type OpenOrderJSON struct {
	ID         int64           `json:"id"`
	Number     string          `json:"number"`
	Type       beian.OrderType `json:"type"`
	Stage      beian.Stage     `json:"stage"`
	Commercial bool            `json:"commercial"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// FilingRoutes registers GET /api/v1/filings (customers, own account only).
func (s *Service) FilingRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/filings", identity.RequireRole(beian.RoleCustomer)(web.Handle(s.getFilings)))
}

func (s *Service) getFilings(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	out, err := s.Filings(r.Context(), p.AccountID)
	if err != nil {
		return err
	}
	return web.WriteJSON(w, http.StatusOK, out)
}

// Filings returns the account's filings view (see FilingsJSON).
func (s *Service) Filings(ctx context.Context, accountID int64) (out FilingsJSON, err error) {
	defer beian.Wrap(&err, "filings of account")
	out.Websites, out.Orders = []FilingWebsiteJSON{}, []OpenOrderJSON{}
	sub, ok, err := s.accountSubject(ctx, accountID)
	if err != nil {
		return out, err
	}
	if ok {
		out.Subject = &FilingSubjectJSON{Nature: sub.Nature, Name: sub.Name, CertType: sub.CertType,
			CertMasked: maskCert(sub.CertNumber), Province: sub.Province, Number: sub.Number, Status: sub.Status}
		ws, err := s.subjectWebsites(ctx, sub.ID)
		if err != nil {
			return out, err
		}
		for _, w := range ws {
			fw := FilingWebsiteJSON{Number: w.Number, Name: w.Name, Access: w.Access, Domains: domainsJSON(w.Domains)}
			if !w.AccessUntil.IsZero() {
				t := w.AccessUntil.In(beian.CST)
				fw.AccessUntil = &t
			}
			out.Websites = append(out.Websites, fw)
		}
	}
	orders, err := s.Store.OrdersOf(ctx, accountID)
	if err != nil {
		return out, err
	}
	for _, o := range orders {
		if o.Stage == beian.StageApproved || o.Stage == beian.StageAbandoned {
			continue
		}
		out.Orders = append(out.Orders, OpenOrderJSON{ID: o.ID, Number: o.Number, Type: o.Type, Stage: o.Stage,
			Commercial: o.Commercial, UpdatedAt: o.UpdatedAt.In(beian.CST)})
	}
	return out, nil
}

// domainsJSON gives stored ASCII domains with their Unicode forms.
func domainsJSON(ascii []string) []DomainJSON {
	out := make([]DomainJSON, 0, len(ascii))
	for _, d := range ascii {
		shown := d
		if dom, ok := validate.Registrable(nil, d); ok {
			shown = dom.Unicode
		}
		out = append(out, DomainJSON{ASCII: d, Unicode: shown})
	}
	return out
}

// maskCert keeps the first two and the last character of a certificate
// number (personal data, PRIV-1).
func maskCert(n string) string {
	r := []rune(n)
	if len(r) <= 3 {
		return "***"
	}
	masked := string(r[:2])
	for range r[2 : len(r)-1] {
		masked += "*"
	}
	return masked + string(r[len(r)-1])
}

// accountSubject returns the account's subject that is not cancelled (Rule
// ACC-1: one at a time), and false when it has none.
func (s *Service) accountSubject(ctx context.Context, accountID int64) (sub beian.Subject, ok bool, err error) {
	var number sql.NullString
	var created, updated int64
	err = s.DB.SQL.QueryRowContext(ctx, `SELECT id, account_id, nature, name, cert_type, cert_number, province, number, status, version, created_at, updated_at
		FROM subjects WHERE account_id = $1 AND status <> 'cancelled' ORDER BY id DESC LIMIT 1`, accountID).Scan(
		&sub.ID, &sub.AccountID, &sub.Nature, &sub.Name, &sub.CertType, &sub.CertNumber, &sub.Province, &number,
		(*string)(&sub.Status), &sub.Version, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, false, nil
	}
	if err != nil {
		return sub, false, err
	}
	sub.Number = number.String
	sub.CreatedAt, sub.UpdatedAt = sqlstore.FromMicro(created), sqlstore.FromMicro(updated)
	return sub, true, nil
}

// replaceableSubject reports whether the account's subject may still be
// replaced by another one: a pending first filing whose orders were all
// abandoned (as the store's order creation decides, Rule ACC-1).
func (s *Service) replaceableSubject(ctx context.Context, sub beian.Subject) (bool, error) {
	if sub.Status != beian.SubjectPending {
		return false, nil
	}
	var open int
	err := s.DB.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE subject_id = $1 AND stage <> 'abandoned'`, sub.ID).Scan(&open)
	return open == 0, err
}

// subjectWebsites lists the subject's websites, oldest first, with their
// domains (ASCII, sorted), as one consistent read.
func (s *Service) subjectWebsites(ctx context.Context, subjectID int64) ([]beian.Website, error) {
	return s.Store.SubjectWebsitesNow(ctx, subjectID)
}
