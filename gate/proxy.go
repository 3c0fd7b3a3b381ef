package gate

import (
	"net/http"
	"net/http/httputil"
	"net/url"
)

// Proxy returns a reverse proxy to upstream for `beian gate --proxy`: a
// request whose host is served goes to upstream with its Host kept and
// X-Forwarded-* set; any other gets the block page with 403 and
// X-Beian-Reason (Rule GATE-1). The host is the request's (g.host: the
// forwarding headers count only from trusted proxies); on a TLS
// connection the server name (SNI) must be served too, so that a served
// SNI cannot front a blocked Host, nor the other way round.
func (g *Gate) Proxy(upstream *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		ErrorLog: nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			g.opts.Log.Warn("gate proxy: upstream failed", "upstream", upstream.Redacted(), "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res := g.Check(g.host(r))
		if res.Allowed && r.TLS != nil && r.TLS.ServerName != "" {
			if sni := g.Check(r.TLS.ServerName); !sni.Allowed {
				res = sni
			}
		}
		if !res.Allowed {
			code, _ := reasonCode(res.Reason)
			g.logBlock(res, code)
			g.WriteBlockPage(w, r, res.Host, code)
			return
		}
		rp.ServeHTTP(w, r)
	})
}
