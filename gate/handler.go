package gate

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
)

//go:embed templates/block.html
var templateFS embed.FS

// HeaderReason names the reason of a block (API.md: 403 with X-Beian-Reason).
const HeaderReason = "X-Beian-Reason"

// blockCSP allows the block page nothing but its own inline style.
const blockCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// titles are the block page headings of RULES.md GATE-1 per reason code.
var titles = map[i18n.Lang][8]string{
	i18n.ZH: {"未备案", "可以访问", "待备案", "已取消接入", "已注销", "接入已失效", "未备案", "未备案"},
	i18n.EN: {"Not filed", "Available", "Filing pending", "Access cancelled", "Filing cancelled", "Access lapsed", "Not filed", "Not filed"},
}

// pages renders the block page; static holds it pre-rendered without a
// host for each language and reason, for /gate/auth's 403 body.
type pages struct {
	tmpl   *template.Template
	static map[i18n.Lang][8][]byte
}

type blockView struct {
	Lang                                    i18n.Lang
	Title, Host, Why, Visitor, Code, Reason string
}

// mustPages parses the embedded template at start: a broken template fails
// start-up (CONVENTIONS.md habit 7).
func mustPages() *pages {
	p := &pages{tmpl: template.Must(template.ParseFS(templateFS, "templates/block.html")), static: map[i18n.Lang][8][]byte{}}
	for _, lang := range i18n.Langs {
		var all [8][]byte
		for code := range all {
			var b bytes.Buffer
			if err := p.render(&b, lang, uint8(code), ""); err != nil {
				panic(err)
			}
			all[code] = b.Bytes()
		}
		p.static[lang] = all
	}
	return p
}

func (p *pages) render(w interface{ Write([]byte) (int, error) }, lang i18n.Lang, code uint8, host string) error {
	cat := i18n.Default()
	reason := reasons[code&7]
	label := "原因"
	if lang == i18n.EN {
		label = "Reason"
	}
	return p.tmpl.Execute(w, blockView{Lang: lang, Title: titles[lang][code&7], Host: host,
		Why: cat.Message(lang, "gate.blocked."+string(reason), nil), Visitor: cat.Message(lang, "gate.visitor", nil),
		Code: label, Reason: string(reason)})
}

// Routes installs the gate's routes on mux (API.md): any method on
// /gate/auth and /gate/auth/{path...}, GET /api/v1/gate/check and any
// method on /gate/blocked (the block page, for a proxy's error page).
// /healthz, /readyz and /metrics are the caller's (see Readiness and
// Metrics).
func (g *Gate) Routes(mux *http.ServeMux) {
	mux.HandleFunc("/gate/auth", g.auth)
	mux.HandleFunc("/gate/auth/", g.auth)
	mux.HandleFunc("/gate/blocked", g.blocked)
	mux.Handle("GET /api/v1/gate/check", web.Handle(g.check))
}

// auth answers an edge proxy's sub-request: 204 to serve, 403 with
// X-Beian-Reason and the block page to block (Rule GATE-1). The body
// matters for Caddy, Traefik and Envoy, which pass it to the visitor.
func (g *Gate) auth(w http.ResponseWriter, r *http.Request) {
	res := g.Check(g.host(r))
	if res.Allowed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	code, _ := reasonCode(res.Reason)
	g.logBlock(res, code)
	h := w.Header()
	h.Set(HeaderReason, string(res.Reason))
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", blockCSP)
	w.WriteHeader(http.StatusForbidden)
	if r.Method != http.MethodHead {
		_, _ = w.Write(g.pages.static[web.Lang(r)][code])
	}
}

// blocked renders the block page for the request's host with 403 (200
// and "reload" when the host is served by now).
func (g *Gate) blocked(w http.ResponseWriter, r *http.Request) {
	res := g.Check(g.host(r))
	code, _ := reasonCode(res.Reason)
	g.WriteBlockPage(w, r, res.Host, code)
}

// WriteBlockPage writes the block page for host and reason code in the
// request's language (web.Lang).
func (g *Gate) WriteBlockPage(w http.ResponseWriter, r *http.Request, host string, code uint8) {
	h := w.Header()
	h.Set(HeaderReason, string(reasons[code&7]))
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", blockCSP)
	status := http.StatusForbidden
	if code == codeServed {
		status = http.StatusOK
	}
	var b bytes.Buffer
	if err := g.pages.render(&b, web.Lang(r), code, host); err != nil {
		http.Error(w, "block page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

// check is GET /api/v1/gate/check?host= (API.md).
func (g *Gate) check(w http.ResponseWriter, r *http.Request) error {
	host := r.URL.Query().Get("host")
	if host == "" {
		return beian.Errorf(beian.KindBadRequest, "gate.host_required")
	}
	w.Header().Set("Cache-Control", "no-store")
	return web.WriteJSON(w, http.StatusOK, g.Detail(host))
}

// host is the host a request asks about: X-Original-Host (nginx), then
// X-Forwarded-Host (Caddy, Traefik, Envoy), then Host; the two headers are
// believed only from a trusted proxy address.
func (g *Gate) host(r *http.Request) string {
	if g.trusted(r.RemoteAddr) {
		if h := r.Header.Get("X-Original-Host"); h != "" {
			return h
		}
		if h := r.Header.Get("X-Forwarded-Host"); h != "" {
			return h
		}
	}
	return r.Host
}

func (g *Gate) trusted(remote string) bool {
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	return g.trustedAddr(ap.Addr())
}

// trustedAddr reports whether a is a trusted proxy's address.
func (g *Gate) trustedAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range g.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Readiness is the gate's /readyz (API.md): not ready until the first
// snapshot has loaded; then ready with its staleness, also while the
// database is away (fail static).
func (g *Gate) Readiness(ctx context.Context) web.Readiness {
	_ = ctx
	r := web.Readiness{Ready: g.Ready(), Checks: map[string]string{}}
	n, b := g.Size()
	if !r.Ready {
		r.Checks["index"] = "loading the first snapshot"
	} else {
		r.Checks["index"] = fmt.Sprintf("%d domains, %d bytes", n, b)
	}
	r.Checks["staleness"] = g.Staleness().Round(time.Millisecond).String()
	if off := g.offline.Load(); off != 0 {
		since := time.UnixMicro(off).In(beian.CST).Format(time.RFC3339)
		r.Checks["database"] = "unreachable since " + since
		r.Warnings = append(r.Warnings, "database unreachable since "+since+": answering from the last index")
	} else {
		r.Checks["database"] = "ok"
	}
	return r
}
