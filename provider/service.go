// Package provider is the provider's bounded context as a service: customers
// and provider staff, cloud resources and authorization codes, the precheck,
// orders of every type, provider reviews, verification, and the registry's
// events — with the JSON API routes of API.md that the console and third
// parties use. It reaches the regulator only through beian.Connector and
// keeps its state in the provider's tables (sqlstore/providerdb).
package provider

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/blob"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/timer"
)

// Service is the provider context on one database.
type Service struct {
	DB        *sqlstore.DB
	Store     *providerdb.Store
	Connector beian.Connector // the way to the registry (in-process or HTTP)
	Calendar  *calendar.Calendar
	Ref       *refdata.Data
	Blobs     *blob.Store    // documents and photos
	Outbox    *outbox.Outbox // the provider's outbox (NOTE-1)
	Timers    *timer.Timers  // the provider's durable timers
	Options   Options
	Log       *slog.Logger
	Prober    *Prober         // Rule WEB-5: the precheck probe's resolver and port; nil: the system resolver, port 80
	AppCodes  AppCodeVerifier // Rule VER-2: the verification app's picture codes (sandbox service)

	wakeOnce sync.Once
	wake     chan struct{} // Run's wake-up (Wake)
	flush    flushGate     // one FlushSubmissions at a time in the process

	// runWaiting counts the Run loops of this Service that flush and pull
	// within moments of a Wake: running, and not in a Reconcile (which may
	// take long on a large provider).
	runWaiting atomic.Int32
}

// Options are the provider's settings where a rule leaves a value open
// (RULES.md: configuration with the given default).
type Options struct {
	MinTermMonths     int           // Rule ACC-2: prepaid term of at least 3 months
	AuthCodeTTL       time.Duration // Rule ACC-3: 90 days
	AuthCodeUses      int           // Rule ACC-3: 1 website
	MaxWebsites       int           // Rule WEB-0: 10 websites per order
	RequireWWW        bool          // Rule WEB-1: homepage starts with www.
	SupplementDays    int           // Rule REV-8: supplementary material due in 5 business days
	ReviewSLADays     int           // Rules REV-1, REV-5, VER-2: 1 business day
	TransferLapseDays int           // Rule GATE-2: 45 calendar days
	LapseWarningDays  int           // Rule NOTE-1: warn 7 days before a transfer-in's access lapses (0: no warning)
	EmptyShellDays    int           // Rule CAN-5: 30 calendar days (the warning's figure)
	TermWarningDays   int           // Rule NOTE-1: a server term ending within 30 days
	RetentionDays     int           // Rule PRIV-1: documents of abandoned orders, 90 days
	MinObservations   int           // predicted dates: observed median once 20 bureau reviews finished
	MaxDocumentBytes  int64         // Rule PRIV-1 uploads: the largest document; 10 MiB when 0
	VerificationDays  int           // predicted dates: business days of verification (VER-1); 3 when 0
	// ProbeAllowPrivate lets the WEB-5 probe reach private and loopback
	// addresses; only tests set it (no SSRF otherwise).
	ProbeAllowPrivate bool
	Photo             PhotoLimits // Rule VER-1: verification photo checks; zero fields take DefaultPhotoLimits
	// SubjectCancelWithoutPassword is require_password_for_subject_cancel=false (Rule PWD-2).
	SubjectCancelWithoutPassword bool
}

// DefaultOptions returns the defaults of RULES.md.
func DefaultOptions() Options {
	return Options{
		MinTermMonths:     3,
		AuthCodeTTL:       90 * 24 * time.Hour,
		AuthCodeUses:      1,
		MaxWebsites:       10,
		RequireWWW:        true,
		SupplementDays:    5,
		ReviewSLADays:     1,
		TransferLapseDays: 45,
		LapseWarningDays:  7,
		EmptyShellDays:    30,
		TermWarningDays:   30,
		RetentionDays:     90,
		MinObservations:   20,
	}
}

// New returns the service on db with the embedded reference data and
// calendar, the provider's audit chain, outbox and timers, and DefaultOptions.
func New(db *sqlstore.DB, conn beian.Connector, blobs *blob.Store, log *slog.Logger) (*Service, error) {
	st, err := providerdb.New(db)
	if err != nil {
		return nil, err
	}
	ob, err := outbox.New("provider")
	if err != nil {
		return nil, err
	}
	tm, err := timer.New("provider")
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Store: st, Connector: conn, Calendar: calendar.Default(), Ref: refdata.Default(),
		Blobs: blobs, Outbox: ob, Timers: tm, Options: DefaultOptions(), Log: log}, nil
}

// now is the service's current time (the database's clock: the sandbox
// clock in sandbox mode).
func (s *Service) now() time.Time { return s.DB.Clock.Now() }

// caller returns the authenticated provider-context principal of r, or
// unauthenticated. Routes still use identity.RequireRole for the role.
func caller(r *http.Request) (identity.Principal, error) {
	p, ok := identity.FromContext(r.Context())
	if !ok || p.Context != identity.ContextProvider {
		return p, beian.Errorf(beian.KindUnauthenticated, "auth.required")
	}
	return p, nil
}
