package regulator

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
	"unicode"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// CredentialPrefix starts every provider credential, so that a leaked one
// is recognisable (by a secret scanner, or a person reading a config file).
const CredentialPrefix = "bpc_"

// credentialHintLen is how many leading characters of a credential the
// registry keeps in the clear: enough to tell two credentials apart in a
// list, far too few to use one.
const credentialHintLen = len(CredentialPrefix) + 6

// Provider is a hosting provider known to the registry, with the state of
// its connector credential (never the credential itself).
type Provider struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// CredentialHint is the first characters of the current credential,
	// "" when none is issued or it was revoked.
	CredentialHint string    `json:"credential_hint,omitempty"`
	CredentialAt   time.Time `json:"credential_at,omitzero"` // when the current credential was issued
	RevokedAt      time.Time `json:"revoked_at,omitzero"`    // when the last credential was revoked, if it was
	CreatedBy      string    `json:"created_by"`             // the audit actor who added the provider
	CreatedAt      time.Time `json:"created_at"`
}

// ConnectorCodes returns every message code of the registry's provider
// credentials and the connector routes, mapped to its rule ID ("" where no
// rule applies). The catalogues (i18n/messages/*/connector.json) hold each
// in every language; a test in this package checks.
func ConnectorCodes() map[string]string {
	return map[string]string{
		"connector.provider_exists":    "",
		"connector.provider_not_found": "",
		"connector.credential_invalid": "",
		"connector.limit_invalid":      "",
	}
}

// newCredential returns a fresh credential (256 random bits) and its
// stored hash (hex SHA-256: enough for a high-entropy token, which needs
// no slow hash).
func newCredential() (credential, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("regulator: no randomness: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	credential = CredentialPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return credential, credentialHash(credential)
}

// credentialHash is the stored form of a credential.
func credentialHash(credential string) string {
	sum := sha256.Sum256([]byte(credential))
	return hex.EncodeToString(sum[:])
}

// checkProviderName trims a provider name and checks its length and
// characters (Rule OTH-1: the name that access records carry).
func checkProviderName(name string) (string, error) {
	name = strings.TrimSpace(name)
	bad := name == "" || len([]rune(name)) > MaxProviderName || strings.IndexFunc(name, unicode.IsControl) >= 0
	if bad {
		return "", invalid("registry.provider_invalid", "OTH-1", "name", "max", itoa(MaxProviderName))
	}
	return name, nil
}

// errProviderNotFound is the answer for a provider the registry does not know.
func errProviderNotFound(name string) error {
	return beian.Errorf(beian.KindNotFound, "connector.provider_not_found", "name", name)
}

// AddProvider registers a provider and issues its connector credential,
// which is returned here once and stored only as a hash. A name already
// registered is conflict (connector.provider_exists): rotate its
// credential instead. Audited as provider.add (without the credential).
func (r *Registry) AddProvider(ctx context.Context, name string) (p Provider, credential string, err error) {
	defer beian.Wrap(&err, "add provider")
	if name, err = checkProviderName(name); err != nil {
		return p, "", err
	}
	credential, hash := newCredential()
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		created, err := insertProvider(ctx, tx, name, hash, credential[:credentialHintLen], actorOf(ctx))
		if err != nil {
			return err
		}
		if !created {
			return beian.Errorf(beian.KindConflict, "connector.provider_exists", "name", name)
		}
		if p, err = providerByName(ctx, tx, name); err != nil {
			return err
		}
		return r.appendAudit(ctx, tx, "provider.add", "provider", itoa(p.ID), nil, providerAudit(p))
	})
	return p, credential, err
}

// EnsureProvider registers a provider without a credential unless it is
// known already, and returns it; created says whether it was added. The
// all-in-one `beian serve` calls it at every start for its own provider,
// which talks to the registry in-process and needs no credential.
func (r *Registry) EnsureProvider(ctx context.Context, name string) (p Provider, created bool, err error) {
	defer beian.Wrap(&err, "ensure provider")
	if name, err = checkProviderName(name); err != nil {
		return p, false, err
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		if created, err = insertProvider(ctx, tx, name, "", "", actorOf(ctx)); err != nil {
			return err
		}
		if p, err = providerByName(ctx, tx, name); err != nil || !created {
			return err
		}
		return r.appendAudit(ctx, tx, "provider.add", "provider", itoa(p.ID), nil, providerAudit(p))
	})
	return p, created, err
}

// RotateCredential issues a new credential for a known provider (the
// previous one stops working at once) and returns it once; an unknown
// provider is not_found (connector.provider_not_found). Audited as
// provider.credential_rotate.
func (r *Registry) RotateCredential(ctx context.Context, name string) (p Provider, credential string, err error) {
	defer beian.Wrap(&err, "rotate provider credential")
	credential, hash := newCredential()
	err = r.updateCredential(ctx, name, "provider.credential_rotate", func(tx *sqlstore.Tx, id int64) error {
		_, err := tx.ExecContext(ctx, `UPDATE registry_providers SET credential_hash = $1, credential_hint = $2, credential_at = $3, revoked_at = 0
			WHERE id = $4`, hash, credential[:credentialHintLen], sqlstore.Micro(tx.Now), id)
		return sqlstore.MapErr(err)
	}, &p)
	return p, credential, err
}

// RevokeCredential ends a provider's credential at once; the provider
// stays known (its access records and events are kept) and may get a new
// credential with RotateCredential. Audited as provider.credential_revoke.
func (r *Registry) RevokeCredential(ctx context.Context, name string) (p Provider, err error) {
	defer beian.Wrap(&err, "revoke provider credential")
	err = r.updateCredential(ctx, name, "provider.credential_revoke", func(tx *sqlstore.Tx, id int64) error {
		_, err := tx.ExecContext(ctx, `UPDATE registry_providers SET credential_hash = '', credential_hint = '', credential_at = 0, revoked_at = $1
			WHERE id = $2`, sqlstore.Micro(tx.Now), id)
		return sqlstore.MapErr(err)
	}, &p)
	return p, err
}

// updateCredential runs set on the named provider in a transaction and audits the change.
func (r *Registry) updateCredential(ctx context.Context, name, action string, set func(tx *sqlstore.Tx, id int64) error, out *Provider) error {
	name = strings.TrimSpace(name)
	return r.inTx(ctx, func(tx *sqlstore.Tx) error {
		before, err := providerByName(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := set(tx, before.ID); err != nil {
			return err
		}
		if *out, err = providerByName(ctx, tx, name); err != nil {
			return err
		}
		return r.appendAudit(ctx, tx, action, "provider", itoa(before.ID), providerAudit(before), providerAudit(*out))
	})
}

// Providers lists the providers known to the registry, by name.
func (r *Registry) Providers(ctx context.Context) (ps []Provider, err error) {
	defer beian.Wrap(&err, "list providers")
	rows, err := r.DB.SQL.QueryContext(ctx, `SELECT `+providerColumns+` FROM registry_providers ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps = []Provider{}
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// AuthenticateProvider returns the name of the provider whose current
// credential is credential. Anything else — empty, malformed, unknown,
// rotated away or revoked — is unauthenticated (connector.credential_invalid),
// one answer for every case.
func (r *Registry) AuthenticateProvider(ctx context.Context, credential string) (string, error) {
	credential = strings.TrimSpace(credential)
	if !strings.HasPrefix(credential, CredentialPrefix) || len(credential) <= credentialHintLen {
		return "", errCredentialInvalid()
	}
	var name string
	err := r.DB.SQL.QueryRowContext(ctx, `SELECT name FROM registry_providers WHERE credential_hash = $1 AND credential_hash <> ''`,
		credentialHash(credential)).Scan(&name)
	switch {
	case noRows(err):
		return "", errCredentialInvalid()
	case err != nil:
		return "", err
	}
	return name, nil
}

// errCredentialInvalid is the one answer to a bad provider credential.
func errCredentialInvalid() error {
	return beian.Errorf(beian.KindUnauthenticated, "connector.credential_invalid")
}

// insertProvider adds the provider unless its name is taken; false when taken.
func insertProvider(ctx context.Context, tx *sqlstore.Tx, name, hash, hint, actor string) (bool, error) {
	at := int64(0)
	if hash != "" {
		at = sqlstore.Micro(tx.Now)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO registry_providers (name, credential_hash, credential_hint, credential_at, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING`, name, hash, hint, at, actor, sqlstore.Micro(tx.Now))
	if err != nil {
		return false, sqlstore.MapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// providerColumns are the columns scanProvider reads, in its order.
const providerColumns = `id, name, credential_hint, credential_at, revoked_at, created_by, created_at`

// scanProvider reads one row of providerColumns.
func scanProvider(row interface{ Scan(...any) error }) (p Provider, err error) {
	var credAt, revokedAt, createdAt int64
	if err = row.Scan(&p.ID, &p.Name, &p.CredentialHint, &credAt, &revokedAt, &p.CreatedBy, &createdAt); err != nil {
		return p, err
	}
	if credAt != 0 {
		p.CredentialAt = sqlstore.FromMicro(credAt)
	}
	if revokedAt != 0 {
		p.RevokedAt = sqlstore.FromMicro(revokedAt)
	}
	p.CreatedAt = sqlstore.FromMicro(createdAt)
	return p, nil
}

// providerByName reads a provider in tx; unknown is not_found.
func providerByName(ctx context.Context, tx *sqlstore.Tx, name string) (Provider, error) {
	p, err := scanProvider(tx.QueryRowContext(ctx, `SELECT `+providerColumns+` FROM registry_providers WHERE name = $1`+forUpdate(tx), name))
	if noRows(err) {
		return p, errProviderNotFound(name)
	}
	return p, err
}

// providerAudit is a provider as the audit log holds it: the hint, never the credential.
func providerAudit(p Provider) map[string]any {
	return map[string]any{"name": p.Name, "credential_hint": p.CredentialHint, "revoked": !p.RevokedAt.IsZero()}
}
