package gate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/beian/beian/i18n"
)

// FastServer serves the gate's routes on its own listener (`beian gate`
// without --proxy) with valyala/fasthttp: /gate/auth is answered by
// fasthttp directly, without allocating, and every other route (the block
// page, /api/v1/gate/check, /healthz, /readyz, /metrics) goes to the
// net/http handler through fasthttpadaptor. net/http alone answered
// /gate/auth at 0.67× the rate of nginx's `return 204;` on one core, below
// the floor of 0.8 (docs/performance.md, "The gate"); the answers
// are the same as auth's, header for header.
type FastServer struct {
	g   *Gate
	srv *fasthttp.Server
}

// NewFastServer returns a server of g's /gate/auth, with other routes
// going to other (normally g.Mux()). Errors of connections are logged at
// warn level to log.
func (g *Gate) NewFastServer(other http.Handler, log *slog.Logger) *FastServer {
	s := &FastServer{g: g}
	slow := fasthttpadaptor.NewFastHTTPHandler(other)
	s.srv = &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			if p := ctx.Path(); string(p) == "/gate/auth" || strings.HasPrefix(b2s(p), "/gate/auth/") {
				g.fastAuth(ctx)
				return
			}
			slow(ctx)
		},
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		ReadTimeout:           10 * time.Second,
		IdleTimeout:           120 * time.Second,
		Logger:                fastLogger{log},
	}
	return s
}

type fastLogger struct{ log *slog.Logger }

func (l fastLogger) Printf(format string, args ...any) {
	if l.log != nil {
		l.log.Warn("gate http", "detail", strings.TrimSpace(fmt.Sprintf(format, args...)))
	}
}

// Serve serves connections from ln until Shutdown; it returns nil after a
// Shutdown.
func (s *FastServer) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Shutdown stops accepting, closes idle connections and waits for the
// others until ctx ends.
func (s *FastServer) Shutdown(ctx context.Context) error { return s.srv.ShutdownWithContext(ctx) }

// fastAuth is auth for fasthttp: 204 to serve, 403 with X-Beian-Reason
// and the block page to block (Rule GATE-1).
func (g *Gate) fastAuth(ctx *fasthttp.RequestCtx) {
	res := g.Check(g.fastHost(ctx))
	if res.Allowed {
		ctx.SetStatusCode(http.StatusNoContent)
		return
	}
	code, _ := reasonCode(res.Reason)
	g.logBlock(res, code)
	h := &ctx.Response.Header
	h.Set(HeaderReason, string(res.Reason))
	h.SetContentType("text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", blockCSP)
	ctx.SetStatusCode(http.StatusForbidden)
	body := g.pages.static[fastLang(ctx)][code]
	if ctx.IsHead() {
		h.SetContentLength(len(body))
		ctx.Response.SkipBody = true
		return
	}
	ctx.Response.SetBodyRaw(body) // pre-rendered and never written: no copy
}

// fastHost is host for fasthttp. The string aliases the request's buffer:
// it must not outlive the request (logBlock copies what it logs).
func (g *Gate) fastHost(ctx *fasthttp.RequestCtx) string {
	var a netip.Addr
	if t, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		a = t.AddrPort().Addr()
	}
	if a.IsValid() && g.trustedAddr(a) {
		if h := ctx.Request.Header.Peek("X-Original-Host"); len(h) > 0 {
			return b2s(h)
		}
		if h := ctx.Request.Header.Peek("X-Forwarded-Host"); len(h) > 0 {
			return b2s(h)
		}
	}
	return b2s(ctx.Request.Header.Host())
}

// fastLang is web.Lang for fasthttp: ?lang=, the lang cookie, then
// Accept-Language.
func fastLang(ctx *fasthttp.RequestCtx) i18n.Lang {
	if v := ctx.QueryArgs().Peek("lang"); len(v) > 0 {
		if l, ok := i18n.Parse(b2s(v)); ok {
			return l
		}
	}
	if v := ctx.Request.Header.Cookie("lang"); len(v) > 0 {
		if l, ok := i18n.Parse(b2s(v)); ok {
			return l
		}
	}
	return i18n.Negotiate(b2s(ctx.Request.Header.Peek("Accept-Language")))
}

// b2s views b as a string without copying; b must not change while the
// string is in use.
func b2s(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
