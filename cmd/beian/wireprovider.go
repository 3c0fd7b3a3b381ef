package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/beian/beian/blob"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/timer"
	"github.com/beian/beian/web"
)

// blobLimit is the largest document or photo the blob store takes; the
// routes apply their own, smaller limits.
const blobLimit = 32 << 20

// blobDir is where documents and photos live: --blob-dir, else a folder
// beside the SQLite file, else ./beian-blobs.
func (m *Main) blobDir() string {
	switch {
	case m.BlobDir != "":
		return m.BlobDir
	case m.DB.Driver == sqlstore.SQLite && m.DB.Path != "" && !strings.HasPrefix(m.DB.Path, ":memory:"):
		return m.DB.Path + ".blobs"
	}
	return "beian-blobs"
}

// newProvider builds the provider context on m's database and connector:
// its JSON API on mux, its timer handlers merged into handlers, and its
// background loop (submissions to the registry, the event feed,
// reconciliation) started on bg.
func (m *Main) newProvider(ctx, bg context.Context, mux *http.ServeMux, handlers map[string]timer.Handler) (*provider.Service, error) {
	dir := m.blobDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob store %s: %w (choose another folder with --blob-dir)", dir, err)
	}
	if err := probeWritable(dir); err != nil {
		return nil, fmt.Errorf("blob store %s is not writable: %w (give this process write access to it, or choose another folder with --blob-dir)", dir, err)
	}
	blobs, err := blob.Open(filepath.Clean(dir), blobLimit, blob.WithClock(m.db.Clock))
	if err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	svc, err := provider.New(m.db, m.connector, blobs, m.Log.With("context", "provider"))
	if err != nil {
		return nil, err
	}
	if m.Sandbox {
		// Rule VER-2: the sandbox verification service plays the app.
		svc.AppCodes = &sandbox.AppVerifier{DB: m.db}
	}
	// Run sends a queued submission and pulls the registry's events as
	// soon as the transaction that made them commits in this process.
	m.db.OnSignal(provider.SubmissionsSignal, svc.Wake)
	m.db.OnSignal(regulator.EventsSignal, svc.Wake)
	svc.Routes(mux)
	maps.Copy(handlers, svc.TimerHandlers())
	if err := svc.EnsureTermSweep(ctx); err != nil {
		return nil, fmt.Errorf("arm the server-term warning sweep: %w", err)
	}
	m.wg.Add(1)
	go func() { defer m.wg.Done(); svc.Run(bg) }()
	return svc, nil
}

// uploadRoute reports whether the request carries a document, a photo or
// a bulk import: those routes apply their own, larger body limits.
func uploadRoute(r *http.Request) bool {
	p := r.URL.Path
	return r.Method == http.MethodPost && (strings.HasSuffix(p, "/documents") || strings.HasSuffix(p, "/verification") ||
		strings.HasSuffix(p, "/verification-photo") || p == "/api/v1/resources/import")
}

// limitBody is web.LimitBody for every request but uploads.
func limitBody(next http.Handler) http.Handler {
	limited := web.LimitBody(0)(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if uploadRoute(r) {
			next.ServeHTTP(w, r)
			return
		}
		limited.ServeHTTP(w, r)
	})
}

// probeWritable writes and removes a small file in dir, so that a folder
// this process cannot write to fails at start, not at a customer's first
// upload.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".beian-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_, err = f.Write([]byte("ok"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}
