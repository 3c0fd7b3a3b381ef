// Package identity is who is calling, for both bounded contexts: accounts
// with their passwords (argon2id), browser sessions with their CSRF tokens,
// API tokens, and the middleware that checks roles and the bureau
// reviewers' province (PRODUCT.md, "Shape": one package, both contexts, each
// with its own tables).
//
// The provider context keeps provider_accounts, provider_sessions and
// provider_tokens; the registry keeps registry_accounts, registry_sessions
// and registry_tokens. A login is unique across both (CreateAccount checks
// the other context's table in the same transaction), so that the login form
// needs no context picker. Secrets are stored only as hashes: passwords as
// argon2id PHC strings, session cookies and API tokens as SHA-256. Nothing
// here logs a password, a token or a cookie value.
package identity
