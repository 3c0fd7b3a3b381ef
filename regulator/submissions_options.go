package regulator

import (
	"sync"
	"time"

	"github.com/beian/beian/calendar"
	"github.com/beian/beian/ratelimit"
)

// PipelineOptions tune the submission pipeline: the SMS confirmation, the
// bureau's deadlines, the empty-shell sweep and the rate limits (RULES.md:
// every open value is configuration with the rule's default).
type PipelineOptions struct {
	// Calendar counts the bureau's business days (Rule CAL-1); nil: the
	// embedded holiday files.
	Calendar *calendar.Calendar
	// SMSWindow is how long the responsible persons have to confirm
	// (Rule VER-3: 24 hours).
	SMSWindow time.Duration
	// SMSWrongEntries is how many wrong entries are allowed per person; the
	// next one returns the order (Rule VER-3: 5).
	SMSWrongEntries int
	// CancelBusinessDays is a bureau's deadline for a cancellation (Rule CAN-2: 20).
	CancelBusinessDays int
	// EmptyShellDays is how long, in calendar days, a website may stay
	// without any access provider before it is cancelled (Rule CAN-5: 30).
	EmptyShellDays int
	// RequirePasswordForSubjectCancel makes a cancel_subject submission
	// carry the subject's filing password (Rule PWD-2: true).
	RequirePasswordForSubjectCancel bool
	// SMSClientRule limits SMS-confirmation attempts per client address.
	SMSClientRule ratelimit.Rule
	// TransferCheckRule limits password checks per filing number (Rules
	// OTH-1, PWD-2: 5 per number per hour).
	TransferCheckRule ratelimit.Rule
}

// DefaultPipelineOptions returns the defaults of RULES.md.
func DefaultPipelineOptions() PipelineOptions {
	return PipelineOptions{
		SMSWindow:                       24 * time.Hour,
		SMSWrongEntries:                 5,
		CancelBusinessDays:              20,
		EmptyShellDays:                  30,
		RequirePasswordForSubjectCancel: true,
		SMSClientRule:                   ratelimit.Rule{Name: "registry_sms_confirmation_client", Limit: 30, Window: time.Hour},
		TransferCheckRule:               ratelimit.Rule{Name: "registry_transfer_check_number", Limit: 5, Window: time.Hour},
	}
}

// pipelineOptions holds the options set per Registry. Registry (registry.go)
// has no field for them yet; a field there would replace this map.
var pipelineOptions sync.Map // *Registry → PipelineOptions

// SetPipelineOptions replaces the registry's pipeline options. Zero
// durations, counts and rules take the defaults; the boolean is taken as
// given, so start from DefaultPipelineOptions.
func (r *Registry) SetPipelineOptions(o PipelineOptions) {
	d := DefaultPipelineOptions()
	if o.SMSWindow <= 0 {
		o.SMSWindow = d.SMSWindow
	}
	if o.SMSWrongEntries <= 0 {
		o.SMSWrongEntries = d.SMSWrongEntries
	}
	if o.CancelBusinessDays <= 0 {
		o.CancelBusinessDays = d.CancelBusinessDays
	}
	if o.EmptyShellDays <= 0 {
		o.EmptyShellDays = d.EmptyShellDays
	}
	if o.SMSClientRule.Limit <= 0 {
		o.SMSClientRule = d.SMSClientRule
	}
	if o.TransferCheckRule.Limit <= 0 {
		o.TransferCheckRule = d.TransferCheckRule
	}
	pipelineOptions.Store(r, o)
}

// PipelineOptions returns the registry's pipeline options.
func (r *Registry) PipelineOptions() PipelineOptions {
	if o, ok := pipelineOptions.Load(r); ok {
		return o.(PipelineOptions)
	}
	return DefaultPipelineOptions()
}

// calendar returns the business-day calendar of the options.
func (o PipelineOptions) calendar() *calendar.Calendar {
	if o.Calendar != nil {
		return o.Calendar
	}
	return calendar.Default()
}

// limiter counts the pipeline's rate limits in the registry's database.
func (r *Registry) limiter() *ratelimit.Limiter { return &ratelimit.Limiter{DB: r.DB} }
