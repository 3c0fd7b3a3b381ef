package page

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Cache lifetimes of static files: a hashed URL never changes content; the
// plain name may change with the next release.
const (
	immutableCache = "public, max-age=31536000, immutable"
	shortCache     = "public, max-age=300"
)

// assets are the static files, by plain name and by hashed name.
type assets struct {
	url    map[string]string // "app.css" → "/static/app.1a2b3c4d.css"
	plain  map[string]*asset // "app.css"
	hashed map[string]*asset // "app.1a2b3c4d.css"
}

type asset struct {
	name string // the plain name, for the content type
	etag string
	body []byte
}

// loadAssets reads static/* and names each file <base>.<hash8>.<ext>, the
// hash being the first 8 hex digits of its SHA-256.
func loadAssets(fsys fs.FS) (*assets, error) {
	a := &assets{url: map[string]string{}, plain: map[string]*asset{}, hashed: map[string]*asset{}}
	names, err := fs.Glob(fsys, "static/*")
	if err != nil {
		return nil, errorf("static: %w", err)
	}
	for _, f := range names {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, errorf("static: %w", err)
		}
		sum := sha256.Sum256(b)
		hash := hex.EncodeToString(sum[:])[:8]
		name := path.Base(f)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		it := &asset{name: name, etag: `"` + hash + `"`, body: b}
		a.plain[name], a.hashed[hashed] = it, it
		a.url[name] = "/static/" + hashed
	}
	return a, nil
}

// Static serves the embedded static files under /static/: a hashed name
// (what the asset function links) with a one-year immutable cache, the
// plain name with a short one, anything else 404.
func (p *Pages) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		it, cache := p.assets.hashed[name], immutableCache
		if it == nil {
			it, cache = p.assets.plain[name], shortCache
		}
		if it == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", cache)
		h.Set("ETag", it.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, it.name, time.Time{}, bytes.NewReader(it.body))
	})
}
