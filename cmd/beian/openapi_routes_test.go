package main

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/beian/beian/docs"
)

// routePattern is a served route with its method: the API, the health and
// metrics endpoints, and the gate's (pages are HTML, not in the API
// description).
var routePattern = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE) (/api/v1/\S*|/healthz|/readyz|/metrics|/gate/\S*)$`)

// wildcard is a ServeMux or OpenAPI path parameter.
var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// normRoute makes a pattern comparable: parameter names dropped, and a
// subtree pattern ("/gate/auth/") written as its {path...} parameter.
func normRoute(method, path string) string {
	if strings.HasSuffix(path, "/") && len(path) > 1 {
		path += "{}"
	}
	return method + " " + wildcard.ReplaceAllString(path, "{}")
}

// servedRoutes collects the route patterns of the repository's non-test Go
// sources: every first argument of a call that is a constant string
// expression (literals and package constants, also of other packages,
// joined with +) of the form "METHOD /path", and the method-less gate
// patterns ("/gate/auth": any method, listed as ANY). The result maps the
// normalised route to the file that registers it.
func servedRoutes(t *testing.T, root string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	type file struct {
		dir string
		f   *ast.File
	}
	var files []file
	consts := map[string]string{} // "dir\x00Name" and "pkg.Name" → value
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		files = append(files, file{dir, f})
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							v, _ := strconv.Unquote(lit.Value)
							consts[dir+"\x00"+n.Name] = v
							consts[f.Name.Name+"."+n.Name] = v
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var eval func(dir string, x ast.Expr) (string, bool)
	eval = func(dir string, x ast.Expr) (string, bool) {
		switch x := x.(type) {
		case *ast.BasicLit:
			if x.Kind == token.STRING {
				v, err := strconv.Unquote(x.Value)
				return v, err == nil
			}
		case *ast.ParenExpr:
			return eval(dir, x.X)
		case *ast.BinaryExpr:
			if x.Op == token.ADD {
				a, ok1 := eval(dir, x.X)
				b, ok2 := eval(dir, x.Y)
				return a + b, ok1 && ok2
			}
		case *ast.Ident:
			v, ok := consts[dir+"\x00"+x.Name]
			return v, ok
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok {
				v, ok := consts[pkg.Name+"."+x.Sel.Name]
				return v, ok
			}
		}
		return "", false
	}
	routes := map[string]string{}
	for _, fl := range files {
		ast.Inspect(fl.f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			s, ok := eval(fl.dir, call.Args[0])
			if !ok {
				return true
			}
			where := fset.Position(call.Pos()).String()
			if m := routePattern.FindStringSubmatch(s); m != nil {
				routes[normRoute(m[1], m[2])] = where
			} else if strings.HasPrefix(s, "/gate/") && !strings.Contains(s, " ") {
				routes[normRoute("ANY", s)] = where
			}
			return true
		})
	}
	return routes
}

// Issue 6, done means: docs/openapi.json is a valid OpenAPI document and
// describes every route the code serves (and nothing it does not); POSTs
// document Idempotency-Key and PATCHes If-Match (API.md, "Errors").
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	anyMethod := map[string]bool{} // normalised paths with at least one operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			documented[normRoute(method, path)] = true
			anyMethod[normRoute("ANY", path)] = true
			switch {
			case method == "POST" && !strings.HasPrefix(path, "/api/v1/connector/") &&
				op.Parameters.GetByInAndName("header", "Idempotency-Key") == nil:
				t.Errorf("POST %s does not document Idempotency-Key", path)
			case method == "PATCH" && op.Parameters.GetByInAndName("header", "If-Match") == nil:
				t.Errorf("PATCH %s does not document If-Match", path)
			}
		}
	}
	served := servedRoutes(t, filepath.Join("..", ".."))
	for _, must := range []string{"GET /healthz", "POST /api/v1/orders", "GET /api/v1/orders/{}", "PATCH /api/v1/orders/{}",
		"GET /api/v1/bureau/queue", "POST /api/v1/sandbox/clock", "GET /api/v1/connector/filings/{}", "ANY /gate/auth"} {
		if served[must] == "" {
			t.Errorf("the source scan missed %s: the scanner is broken", must)
		}
	}
	var keys []string
	for r := range served {
		keys = append(keys, r)
	}
	slices.Sort(keys)
	for _, r := range keys {
		if strings.HasPrefix(r, "ANY ") && !anyMethod[r] || !strings.HasPrefix(r, "ANY ") && !documented[r] {
			t.Errorf("%s (%s) is not in docs/openapi.json", r, served[r])
		}
	}
	for r := range documented {
		_, path, _ := strings.Cut(r, " ")
		if served[r] == "" && served["ANY "+path] == "" {
			t.Errorf("docs/openapi.json describes %s, which no code serves", r)
		}
	}
}
