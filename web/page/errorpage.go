package page

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
)

// errorData is the error page's .Data.
type errorData struct {
	Status  int
	Title   string // label key of the heading
	Message string // the error's catalogue message
	Items   []string
	Next    string // the message code of what to do
	Link    string // where to go
	LinkKey string // label key of the link
}

// ErrorPage answers err as a friendly page in the request's language: the
// catalogue message (i18n.Render) and what to do next — sign in for 401,
// reload the form when a form expired, otherwise go home. Install sets it as
// web.ErrorPage.
func (p *Pages) ErrorPage(w http.ResponseWriter, r *http.Request, status int, err error) {
	lang := web.Lang(r)
	body := i18n.Default().Render(lang, err)
	d := errorData{Status: status, Title: "error.title", Message: body.Message,
		Next: "page.error_home", Link: "/", LinkKey: "error.home"}
	for _, it := range body.Errors {
		d.Items = append(d.Items, it.Message)
	}
	switch status {
	case http.StatusUnauthorized:
		d.Title, d.Next, d.LinkKey, d.Link = "error.title_401", "page.error_signin", "error.sign_in", "/login"
		if r.Method == http.MethodGet && localPath(r.URL.RequestURI()) {
			d.Link += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
	case http.StatusForbidden:
		d.Title = "error.title_403"
		var e *beian.Error
		if errors.As(err, &e) && e.Code == "page.form_expired" {
			d.Next, d.LinkKey, d.Link = "page.error_reload", "error.reload", formPage(r)
		}
	case http.StatusNotFound:
		d.Title = "error.title_404"
	case http.StatusTooManyRequests:
		var e *beian.Error
		if errors.As(err, &e) && e.Args["retry_after"] != "" {
			if _, perr := strconv.Atoi(e.Args["retry_after"]); perr == nil {
				w.Header().Set("Retry-After", e.Args["retry_after"])
			}
		}
	}
	if status >= 500 {
		d.Title = "error.title_500"
	}
	if rerr := p.Render(w, r, status, "error", d); rerr != nil {
		p.log.ErrorContext(r.Context(), "error page failed", "path", r.URL.Path, "err", rerr)
		h := w.Header()
		setSecurityHeaders(h)
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body.Message + "\n"))
	}
}

// formPage is where the expired form can be opened again: the referring
// page of this site, else the form's own path (forms post to their page).
func formPage(r *http.Request) string {
	if ref := r.Referer(); ref != "" {
		if u, err := url.Parse(ref); err == nil && u.Host == r.Host && localPath(u.RequestURI()) {
			return u.RequestURI()
		}
	}
	if localPath(r.URL.Path) {
		return r.URL.Path
	}
	return "/"
}
