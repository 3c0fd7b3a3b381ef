package beian

import (
	"encoding/json"
	"time"
)

// Role is an account's role (API.md).
type Role string

// The roles of API.md. The first four belong to the provider context, the
// last two to the regulator.
const (
	RoleCustomer         Role = "customer"
	RoleProviderReviewer Role = "provider_reviewer"
	RoleVerifier         Role = "verifier"
	RoleProviderAdmin    Role = "provider_admin"
	RoleBureauReviewer   Role = "bureau_reviewer"
	RoleRegistryAdmin    Role = "registry_admin"
)

// Account is a provider-context account: a customer or provider staff.
type Account struct {
	ID        int64
	Login     string
	Role      Role
	Name      string
	CreatedAt time.Time
}

// Billing is how a cloud resource is paid (Rule ACC-2).
type Billing string

// Billing kinds: only prepaid resources qualify for filing.
const (
	Prepaid  Billing = "prepaid"  // 包年包月
	Postpaid Billing = "postpaid" // 按量付费
)

// Resource is a cloud server of this provider (备案云服务资源, Rule ACC-2).
type Resource struct {
	ID         int64
	AccountID  int64
	ExternalID string // the billing system's ID
	Billing    Billing
	Mainland   bool
	PublicIPs  []string
	TermStart  time.Time
	TermEnd    time.Time
	Active     bool
	CreatedAt  time.Time
}

// AuthCode is an authorization code (备案授权码, Rule ACC-3): an account
// holding an eligible resource lets another account file with it.
type AuthCode struct {
	Code       string
	ResourceID int64
	AccountID  int64 // the issuer
	ExpiresAt  time.Time
	UseLimit   int
	Uses       int
	RevokedAt  time.Time
	CreatedAt  time.Time
}

// SubjectStatus is the provider's view of a subject.
type SubjectStatus string

// Subject statuses.
const (
	SubjectPending   SubjectStatus = "pending"   // first filing not yet approved
	SubjectActive    SubjectStatus = "active"    // has its number
	SubjectCancelled SubjectStatus = "cancelled" // cancelled in the registry (CAN-3)
)

// Subject is the one subject an account files for (Rule ACC-1), as the
// provider holds it: identity, number once filed, status.
type Subject struct {
	ID         int64
	AccountID  int64
	Nature     string
	Name       string
	CertType   string
	CertNumber string // personal data for individuals
	Province   string
	Number     string // subject number once approved
	Status     SubjectStatus
	Version    int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Key identifies the subject across orders (Rule ACC-4): certificate type and number.
func (s Subject) Key() string { return SubjectKey(s.CertType, s.CertNumber) }

// SubjectKey joins a certificate type and number into the subject's identity.
func SubjectKey(certType, certNumber string) string { return certType + ":" + certNumber }

// Website is a website as the provider holds it: its number once filed, its
// registrable domains and its access state at this provider, which is also
// the gate's reason for its domains (Rules GATE-1, GATE-2).
type Website struct {
	ID        int64
	SubjectID int64
	Number    string
	Name      string
	Domains   []string // registrable, ASCII
	Access    GateReason
	// AccessUntil is when a transfer-in's access granted at initial review
	// lapses without a bureau approval (Rule GATE-2); zero otherwise.
	AccessUntil time.Time
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Order is a filing order: the form data as a JSON document (subject and
// websites; field paths such as "websites[0].homepage" address it), its
// stage on the REV-8 paths, the fields flagged by the last rejection
// (Rule REV-3), and a version that every write must name.
type Order struct {
	ID          int64
	Number      string // NUM-2: unique, not guessable
	AccountID   int64
	SubjectID   int64
	SubjectKey  string
	Type        OrderType
	Stage       Stage
	Commercial  bool
	Data        json.RawMessage
	Flagged     []string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt time.Time
	StageAt     time.Time // when the order entered its stage (SLA timers)
}

// ServableChange is one entry of the servable-domain change log the gate follows.
type ServableChange struct {
	Seq           int64
	Domain        string
	Reason        GateReason
	WebsiteNumber string
	At            time.Time
}
