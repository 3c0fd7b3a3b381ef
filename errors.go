package beian

import (
	"errors"
	"fmt"
)

// Kind is the stable class of an application error. The web layer maps each
// kind to one HTTP status (API.md, "Errors"); the wire value is the string.
type Kind string

// The error kinds of API.md. Anything that is not an *Error becomes KindInternal.
const (
	KindBadRequest           Kind = "bad_request"           // 400: malformed input
	KindUnauthenticated      Kind = "unauthenticated"       // 401
	KindForbidden            Kind = "forbidden"             // 403: own tenant, wrong role
	KindNotFound             Kind = "not_found"             // 404: also another tenant's data
	KindConflict             Kind = "conflict"              // 409: unique clash
	KindInvalidState         Kind = "invalid_state"         // 409: transition not allowed
	KindStale                Kind = "stale"                 // 412: If-Match failed
	KindTooLarge             Kind = "too_large"             // 413
	KindInvalid              Kind = "invalid"               // 422: business rules failed
	KindPreconditionRequired Kind = "precondition_required" // 428: If-Match missing
	KindRateLimited          Kind = "rate_limited"          // 429
	KindInternal             Kind = "internal"              // 500: details only in the log
	KindUnavailable          Kind = "unavailable"           // 503: a dependency (e.g. the regulator) is down; retry later
)

// Kinds lists every kind, in the order of API.md.
var Kinds = []Kind{
	KindBadRequest, KindUnauthenticated, KindForbidden, KindNotFound, KindConflict,
	KindInvalidState, KindStale, KindTooLarge, KindInvalid, KindPreconditionRequired,
	KindRateLimited, KindInternal, KindUnavailable,
}

// Problem is one failed rule check: the rule's own code (a message key such as
// "web.homepage_not_www"), the rule ID of RULES.md ("WEB-1"), the field path
// ("websites[0].homepage") and the values the message needs. Validators
// return problems; the edge renders their messages in the caller's language.
type Problem struct {
	Code  string            `json:"code"`
	Rule  string            `json:"rule,omitempty"`
	Field string            `json:"field,omitempty"`
	Args  map[string]string `json:"-"`
}

// String renders the problem for logs and test failures (no personal data:
// Args are left out because they may echo user input).
func (p Problem) String() string {
	s := p.Code
	if p.Rule != "" {
		s += " (" + p.Rule + ")"
	}
	if p.Field != "" {
		s += " at " + p.Field
	}
	return s
}

// Problems is the result of a check that reports every problem it finds.
type Problems []Problem

// Add appends a problem.
func (ps *Problems) Add(code, rule, field string, args ...string) {
	*ps = append(*ps, NewProblem(code, rule, field, args...))
}

// Extend appends problems found under a field prefix: a problem at "homepage"
// below prefix "websites[0]" becomes "websites[0].homepage".
func (ps *Problems) Extend(prefix string, more Problems) {
	for _, p := range more {
		switch {
		case prefix == "":
		case p.Field == "":
			p.Field = prefix
		case p.Field[0] == '[':
			p.Field = prefix + p.Field
		default:
			p.Field = prefix + "." + p.Field
		}
		*ps = append(*ps, p)
	}
}

// Has reports whether a problem with the code is present.
func (ps Problems) Has(code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}

// Err returns nil when there are no problems, otherwise an *Error of kind
// KindInvalid carrying them.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalid, Problems: ps}
}

// NewProblem builds a problem; args are key, value pairs for the message.
func NewProblem(code, rule, field string, args ...string) Problem {
	p := Problem{Code: code, Rule: rule, Field: field}
	if len(args) > 0 {
		p.Args = make(map[string]string, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			p.Args[args[i]] = args[i+1]
		}
	}
	return p
}

// Error is the one application error type. Kind selects the HTTP status;
// Code optionally names a message key more precise than the kind's generic
// message; Problems lists rule failures (kind invalid, or conflict); Err is
// the wrapped cause, shown only in logs.
type Error struct {
	Kind     Kind
	Code     string
	Args     map[string]string
	Problems Problems
	Err      error
}

// Error implements error. It never includes Args, which may hold user input.
func (e *Error) Error() string {
	s := string(e.Kind)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if len(e.Problems) > 0 {
		s += fmt.Sprintf(" (%d problems: %s", len(e.Problems), e.Problems[0])
		if len(e.Problems) > 1 {
			s += ", …"
		}
		s += ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the kind with a message key and key, value args.
func Errorf(kind Kind, code string, args ...string) *Error {
	e := &Error{Kind: kind, Code: code}
	if len(args) > 0 {
		e.Args = NewProblem("", "", "", args...).Args
	}
	return e
}

// KindOf returns the kind of the first *Error in err's chain, KindInternal for
// any other non-nil error, and "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err's kind is k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Wrap adds context to *errp, keeping its chain (and so its kind), when it
// is not nil. Use it once per function: defer beian.Wrap(&err, "save order %s", id).
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
	}
}
