// Package docs embeds the API description, docs/openapi.json, the source
// that GET /api/v1/openapi.json serves (API.md). The Markdown files beside
// it are for readers and are not embedded.
package docs

import _ "embed"

// OpenAPI is docs/openapi.json: the OpenAPI 3.0 description of the HTTP API.
//
//go:embed openapi.json
var OpenAPI []byte
