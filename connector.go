package beian

import (
	"context"
	"encoding/json"
	"time"
)

// Connector is the provider's only way to the regulator (the MIIT registry and
// the provincial bureaus; PRODUCT.md, "Shape"). It is implemented in-process
// (beian serve) and over HTTP (/api/v1/connector/…, authenticated by the
// provider's credential), and a connector to the real MIIT system can replace
// both. Calls go provider → registry; results come back registry → provider as
// events that the provider pulls with a cursor, so nothing is lost while either
// side is down. docs/connector.md describes the same contract for humans.
//
// Error contract, for every method: errors are *Error values of these kinds —
//   - KindInvalid: a rule failed; Problems name each (e.g. a SUBJ-1 conflict
//     with the conflicting public number in its args). Do not retry unchanged.
//   - KindNotFound: the number or submission is unknown to the registry (or not
//     visible to this provider). Do not retry.
//   - KindConflict: an idempotency key was reused with a different request, or
//     the registry's state forbids the request (e.g. an order of the subject is
//     already at the bureau). Do not retry unchanged.
//   - KindUnauthenticated / KindForbidden: the provider credential is wrong or
//     lacks the right. Do not retry.
//   - KindRateLimited: slow down; retry after the delay the error's Args carry
//     ("retry_after", seconds).
//   - KindUnavailable (and any error that is not an *Error, e.g. a network
//     failure): the outcome is unknown. Retry with backoff; a Submit or
//     CancelAccess must be retried with the same idempotency key.
//
// Retries and idempotency: Submit and CancelAccess take an idempotency key
// (the provider uses one per order submission attempt). The registry keeps the
// first answer per provider and key: a repeat with the same key and the same
// request returns that answer (Receipt.Duplicate is then true) and creates
// nothing twice; the same key with a different request is KindConflict.
// The read methods (Precheck, CheckTransferIn, Filing, Confirmations, Events)
// have no side effects apart from rate-limit counters and may be retried freely.
//
// Events are delivered at least once, in ID order per provider: the provider
// stores each event's effect and its new cursor in one transaction, and
// ignores an event ID it has already applied.
type Connector interface {
	// Precheck looks the subject and domains up in the registry: conflicts
	// with other subjects' records (Rule SUBJ-1), the registry's five domain
	// checks (Rule WEB-6), blacklist hits (Rule CAN-1), and whether the
	// subject or its websites are already filed (Rule TYPE-1: new website or
	// transfer-in rather than a first filing).
	Precheck(ctx context.Context, req PrecheckRequest) (PrecheckResult, error)

	// Submit hands an order to the registry for its bureau (every type but
	// cancel access). The registry re-runs the checks of Precheck and starts
	// the SMS confirmation (Rule VER-3). Results come back as events.
	Submit(ctx context.Context, s Submission, idempotencyKey string) (Receipt, error)

	// CancelAccess unlinks one website from this provider at once, with no
	// bureau review and no SMS confirmation (Rule CAN-5). The filing number
	// stays in the registry.
	CancelAccess(ctx context.Context, req CancelAccessRequest, idempotencyKey string) (Receipt, error)

	// CheckTransferIn verifies a subject's filing password before a transfer-in
	// (Rules OTH-1, PWD-2). Any mismatch is the same KindInvalid answer with
	// code "registry.transfer_check_failed", whichever part was wrong; attempts
	// are rate-limited per number.
	CheckTransferIn(ctx context.Context, number, password string) (TransferInCheck, error)

	// Filing returns the registry's current record of a subject or website
	// number, for reconciliation with the provider's copy.
	Filing(ctx context.Context, number string) (Filing, error)

	// Confirmations returns the SMS-confirmation state of a submission (Rule VER-3).
	Confirmations(ctx context.Context, submissionID string) (ConfirmationState, error)

	// Events returns up to limit events after cursor ("" = from the start),
	// oldest first, and the cursor to pass next. An empty page keeps the cursor.
	Events(ctx context.Context, cursor string, limit int) (EventPage, error)
}

// Person is a responsible person (负责人) of a subject or a website.
type Person struct {
	Name       string `json:"name"`
	CertType   string `json:"cert_type"`   // API.md certificate type
	CertNumber string `json:"cert_number"` // personal data: never logged
	Mobile     string `json:"mobile"`
	Email      string `json:"email"`
	Landline   string `json:"landline,omitempty"`
}

// SubjectData is a subject (主体) as the registry receives it.
type SubjectData struct {
	Nature     string `json:"nature"` // API.md subject nature
	Name       string `json:"name"`
	CertType   string `json:"cert_type"`
	CertNumber string `json:"cert_number"`
	Province   string `json:"province"` // GB/T 2260
	City       string `json:"city"`
	District   string `json:"district"`
	Address    string `json:"address"`
	Person     Person `json:"person"`
}

// WebsiteData is a website as the registry receives it.
type WebsiteData struct {
	Number         string   `json:"number,omitempty"` // set for a website already filed
	Name           string   `json:"name"`
	Domains        []string `json:"domains"` // registrable domains, ASCII (punycode)
	Homepage       string   `json:"homepage"`
	ServiceContent string   `json:"service_content"`
	PreApprovals   []string `json:"pre_approvals,omitempty"`
	Languages      []string `json:"languages,omitempty"`
	Remark         string   `json:"remark,omitempty"`
	Person         Person   `json:"person"`
	ServerIPs      []string `json:"server_ips"`
}

// Document is a reference to a material held by the provider: the registry
// receives its content hash and kind, and fetches nothing by itself.
type Document struct {
	Kind   string `json:"kind"` // e.g. "photo", "id_front", "license", "commitment_letter"
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// PrecheckRequest is what the provider knows before an order exists.
type PrecheckRequest struct {
	Province     string   `json:"province"`
	Nature       string   `json:"nature"`
	CertType     string   `json:"cert_type"`
	CertNumber   string   `json:"cert_number"`
	Domains      []string `json:"domains"` // registrable, ASCII
	WebsiteNames []string `json:"website_names,omitempty"`
}

// PrecheckResult is the registry's view of a precheck.
type PrecheckResult struct {
	// SubjectNumber is the subject's number when the certificate already has
	// one; SubjectProviders names the providers serving any of its websites.
	SubjectNumber    string         `json:"subject_number,omitempty"`
	SubjectProviders []string       `json:"subject_providers,omitempty"`
	Conflicts        []Conflict     `json:"conflicts,omitempty"`
	Domains          []DomainCheck  `json:"domains"`
	Blacklist        []BlacklistHit `json:"blacklist,omitempty"`
	Filed            []FiledDomain  `json:"filed,omitempty"`
}

// Conflict is data that duplicates a record of another subject (Rule SUBJ-1).
type Conflict struct {
	Field  string `json:"field"`  // "cert_number" or "domains[i]"
	Number string `json:"number"` // the conflicting public filing number
}

// DomainCheck is the result of the registry's five checks for one domain (Rule WEB-6).
type DomainCheck struct {
	Domain   string   `json:"domain"`
	Problems Problems `json:"problems,omitempty"` // codes such as "registry.domain_no_record"
}

// BlacklistHit is a certificate number or website name that may never be filed again (Rule CAN-1).
type BlacklistHit struct {
	Field string `json:"field"` // "cert_number" or "website_names[i]"
}

// FiledDomain is a domain of the request already held by an active website.
type FiledDomain struct {
	Domain        string `json:"domain"`
	WebsiteNumber string `json:"website_number"`
	SameSubject   bool   `json:"same_subject"` // held by the requesting subject: a transfer-in, not a conflict
}

// Submission is an order handed to the registry.
type Submission struct {
	OrderNumber   string        `json:"order_number"` // the provider's order number (NUM-2)
	Type          OrderType     `json:"type"`
	Commercial    bool          `json:"commercial"`
	Province      string        `json:"province"`
	SubjectNumber string        `json:"subject_number,omitempty"` // for orders on a filed subject
	Subject       SubjectData   `json:"subject"`
	Websites      []WebsiteData `json:"websites"`
	// Cancel lists the website numbers a cancel_website order removes.
	Cancel    []string   `json:"cancel,omitempty"`
	Password  string     `json:"password,omitempty"` // transfer-in and subject cancellation (Rule PWD-2); never logged
	Documents []Document `json:"documents,omitempty"`
	// Changed lists the field paths a change_* order edits (Rule OTH-2).
	Changed     []string  `json:"changed,omitempty"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// CancelAccessRequest unlinks one website from the calling provider (Rule CAN-5).
type CancelAccessRequest struct {
	OrderNumber   string `json:"order_number"`
	WebsiteNumber string `json:"website_number"`
}

// Receipt acknowledges a Submit or CancelAccess.
type Receipt struct {
	SubmissionID string    `json:"submission_id"`
	Duplicate    bool      `json:"duplicate"` // a repeat of an earlier request with the same key
	AcceptedAt   time.Time `json:"accepted_at"`
	// DueDate is the bureau's expected decision date (Rule REV-2), zero for cancel access.
	DueDate time.Time `json:"due_date,omitempty"`
}

// TransferInCheck is the registry's answer to a correct transfer-in check.
type TransferInCheck struct {
	SubjectNumber string   `json:"subject_number"`
	Websites      []string `json:"websites"` // website numbers of the subject
	Province      string   `json:"province"`
}

// Filing is the registry's record of one subject and its websites.
type Filing struct {
	SubjectNumber string          `json:"subject_number"`
	Status        string          `json:"status"` // "active" or "cancelled"
	UnitName      string          `json:"unit_name"`
	Nature        string          `json:"nature"`
	Province      string          `json:"province"`
	Websites      []FilingWebsite `json:"websites"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

// FilingWebsite is one website of a Filing.
type FilingWebsite struct {
	Number    string   `json:"number"`
	Name      string   `json:"name"`
	Domains   []string `json:"domains"`
	Homepage  string   `json:"homepage"`
	Status    string   `json:"status"`    // "active" or "cancelled"
	Providers []string `json:"providers"` // providers with active access
}

// ConfirmationState is the SMS confirmation of one submission (Rule VER-3).
type ConfirmationState struct {
	SubmissionID string               `json:"submission_id"`
	State        string               `json:"state"` // "pending", "confirmed", "failed", "expired", "none"
	Deadline     time.Time            `json:"deadline"`
	Persons      []PersonConfirmation `json:"persons"`
}

// PersonConfirmation is one responsible person's confirmation.
type PersonConfirmation struct {
	Role        string `json:"role"`         // "subject" or "websites[i]"
	MaskedPhone string `json:"masked_phone"` // e.g. 138****5678
	Confirmed   bool   `json:"confirmed"`
	Failures    int    `json:"failures"`
}

// EventType is the kind of a registry event.
type EventType string

// The registry's event types.
const (
	EventApproved       EventType = "approved"        // payload ApprovedPayload
	EventRejected       EventType = "rejected"        // payload RejectedPayload
	EventReturned       EventType = "returned"        // payload ReturnedPayload (VER-3)
	EventCancelled      EventType = "cancelled"       // payload CancelledPayload (CAN-1)
	EventPasswordIssued EventType = "password_issued" // payload PasswordIssuedPayload (PWD-1)
	EventSMSConfirmed   EventType = "sms_confirmed"   // payload ConfirmationState (VER-3)
)

// Event is one result the registry reports to a provider.
type Event struct {
	ID           int64           `json:"id"` // increasing per provider; the de-duplication key
	SubmissionID string          `json:"submission_id,omitempty"`
	Order        string          `json:"order,omitempty"` // the provider's order number
	Type         EventType       `json:"type"`
	Payload      json.RawMessage `json:"payload"`
	At           time.Time       `json:"at"`
}

// EventPage is one page of events.
type EventPage struct {
	Events []Event `json:"events"`
	Next   string  `json:"next"` // the cursor for the following call
}

// ApprovedPayload carries the numbers of an approved order.
type ApprovedPayload struct {
	SubjectNumber string          `json:"subject_number"`
	Websites      []FilingWebsite `json:"websites"`
}

// RejectedPayload carries a bureau rejection's items (Rule REV-5).
type RejectedPayload struct {
	Items []ReviewItem `json:"items"`
}

// ReturnedPayload says why an order came back before the bureau (Rule VER-3).
type ReturnedPayload struct {
	Reason string `json:"reason"` // "sms_failed" (6th wrong entry) or "sms_expired"
}

// CancelledPayload reports a cancellation by the registry or a bureau (Rule CAN-1).
type CancelledPayload struct {
	Number string `json:"number"` // subject or website number
	Reason string `json:"reason"` // e.g. "subject_request", "conflict_claim", "false_information", "empty_shell", "illegal_content"
}

// PasswordIssuedPayload reports that a password was sent to the responsible
// person (Rule PWD-1). The password itself never leaves the registry.
type PasswordIssuedPayload struct {
	SubjectNumber string `json:"subject_number"`
}
