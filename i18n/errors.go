package i18n

import (
	"errors"

	"github.com/beian/beian"
)

// ErrorBody is the wire shape of an error answer (API.md, "Errors").
type ErrorBody struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Errors  []ErrorItem `json:"errors,omitempty"`
}

// ErrorItem is one failed rule in an error answer.
type ErrorItem struct {
	Code    string `json:"code"`
	Rule    string `json:"rule,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// KindCode is the catalogue code of a kind's generic message.
func KindCode(k beian.Kind) string { return "error." + string(k) }

// Render turns any error into the wire body in the language. Untyped errors
// become kind internal with the generic message only: their text, which may
// hold internals or personal data, is for the log.
func (c *Catalog) Render(lang Lang, err error) ErrorBody {
	kind := beian.KindOf(err)
	body := ErrorBody{Code: string(kind)}
	var e *beian.Error
	if kind == beian.KindInternal || !errors.As(err, &e) {
		body.Code = string(beian.KindInternal)
		body.Message = c.Message(lang, KindCode(beian.KindInternal), nil)
		return body
	}
	if e.Code != "" && c.Has(ZH, e.Code) {
		body.Message = c.Message(lang, e.Code, e.Args)
	} else {
		body.Message = c.Message(lang, KindCode(kind), nil)
	}
	for _, p := range e.Problems {
		body.Errors = append(body.Errors, ErrorItem{
			Code: p.Code, Rule: p.Rule, Field: p.Field,
			Message: c.Message(lang, p.Code, p.Args),
		})
	}
	return body
}
