// Package page is the framework of beian's server-rendered desks: templates
// parsed once at start from embed (a missing or broken page fails New), the
// layout, rendering into a buffer in the request's language, labels, the
// remembered ?lang= switch, CSRF tokens on every form, security headers,
// cache-busted static files, accessible form fields and the error page. The
// /login page and a landing page live here as the first examples.
//
// Adding a page:
//
//  1. templates/pages/NAME.html defines "title" and "content"; the dot is
//     the page's view: .Data is what the handler passes, .Viewer who looks,
//     .CSRF the token for its forms (render it with {{template "csrf" .}}).
//  2. NAME joins pageNames (page.go), so New fails when the file is missing.
//  3. One small handler file calls p.Render(w, r, status, "NAME", data) and
//     returns its error; Routes (or the desk's own routes) registers it.
//  4. Words that are not sentences (buttons, headings, field labels) go to
//     labels/zh-CN.json and labels/en.json; sentences go to the i18n
//     catalogue, i18n/messages/*/page.json.
//
// Template functions:
//
//	t "key"                    a label in the request's language
//	msg "code" [args]          a catalogue message; args a map[string]string or key, value pairs
//	asset "app.css"            the cache-busted URL of a static file
//	lang                       the request's language tag
//	field FORM "name" "type" "label-key" [opt value …]
//	                           a Field for {{template "field" …}}; opts: hint LABEL-KEY,
//	                           autocomplete V, inputmode V, required true, autofocus true
//	summary FORM               the error summary for {{template "summary" …}}
//
// No page carries inline script or style: the CSP forbids both.
package page
