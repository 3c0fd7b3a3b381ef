package page

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
)

// Query kinds of the /query form: the "by" field.
const (
	pubByDomain = "domain"
	pubByNumber = "number"
	pubByName   = "name"
)

// pubQueryData is the query page's .Data.
type pubQueryData struct {
	Form    *Form
	By      string // pubByDomain, pubByNumber or pubByName
	Done    bool   // a query ran: show the results (maybe none)
	Result  regulator.QueryResult
	Notice  *pubNotice // the rate limit, when hit
	Pages   int        // number of result pages
	PrevURL string     // the previous page, or ""
	NextURL string     // the next page, or ""
}

// pubQuery answers GET /query (备案查询, Rule QRY-1): the form, and with ?q=
// the registry's public answer, only its public fields (a personal
// subject's name masked by the registry), paginated for a name search.
// Each query counts against regulator.QueryRule for the client address,
// like the API; over it the page says when to try again (429).
func (p *Pages) pubQuery(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	d := pubQueryData{By: v.Get("by"), Form: &Form{Values: map[string]string{"q": strings.TrimSpace(v.Get("q"))}}}
	switch d.By {
	case pubByDomain, pubByNumber, pubByName:
	default:
		d.By = pubByDomain
	}
	term := d.Form.Values["q"]
	if term == "" {
		return p.Render(w, r, http.StatusOK, "public_query", d)
	}
	page := 1
	if s := v.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p.pubQueryFailed(w, r, d, beian.Errorf(beian.KindBadRequest, "registry.query_page", "max", strconv.Itoa(regulator.MaxPageSize)))
		}
		page = n
	}
	dec, err := p.pubLimiter().Allow(r.Context(), regulator.QueryRule, clientAddr(r))
	if err != nil {
		return err
	}
	if !dec.Allowed {
		return p.pubQueryFailed(w, r, d, pubRateLimited(dec, "registry.query_rate_limited"))
	}
	q := regulator.QueryRequest{Page: page}
	switch d.By {
	case pubByDomain:
		q.Domain = term
	case pubByNumber:
		q.Number = term
	default:
		q.Name = term
	}
	res, err := p.opts.Registry.Query(r.Context(), q)
	if err != nil {
		return p.pubQueryFailed(w, r, d, err)
	}
	d.Done, d.Result = true, res
	d.Pages = (res.Total + regulator.DefaultPageSize - 1) / regulator.DefaultPageSize
	link := func(n int) string {
		return "/query?" + url.Values{"by": {d.By}, "q": {term}, "page": {strconv.Itoa(n)}}.Encode()
	}
	if res.Page > 1 && res.Page <= d.Pages+1 {
		d.PrevURL = link(res.Page - 1)
	}
	if res.Page < d.Pages {
		d.NextURL = link(res.Page + 1)
	}
	return p.Render(w, r, http.StatusOK, "public_query", d)
}

// pubQueryFailed shows the form again with err: a rate limit as a notice; a
// malformed term beside the field; anything else is the error page.
func (p *Pages) pubQueryFailed(w http.ResponseWriter, r *http.Request, d pubQueryData, err error) error {
	if n, ok := pubRateLimit(w, r, err); ok {
		d.Notice = n
		return p.Render(w, r, http.StatusTooManyRequests, "public_query", d)
	}
	var e *beian.Error
	if !beian.IsKind(err, beian.KindBadRequest) || !errors.As(err, &e) || e.Code == "" {
		return err
	}
	// The registry's own message, placed on the search field.
	d.Form.Err = &beian.Error{Kind: beian.KindBadRequest, Code: "page.query_check",
		Problems: beian.Problems{{Code: e.Code, Rule: "QRY-1", Field: "q", Args: e.Args}}}
	return p.Render(w, r, http.StatusBadRequest, "public_query", d)
}
