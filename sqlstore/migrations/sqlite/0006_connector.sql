-- The connector over HTTP (package regulator, providers.go): each provider's
-- credential at the registry. credential_hash (0004) holds the hex SHA-256 of
-- the credential, '' when none is issued or it was revoked; credential_hint is
-- its first characters, enough to tell credentials apart, never to use one.
ALTER TABLE registry_providers ADD COLUMN credential_hint TEXT NOT NULL DEFAULT '';
ALTER TABLE registry_providers ADD COLUMN credential_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE registry_providers ADD COLUMN revoked_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE registry_providers ADD COLUMN created_by TEXT NOT NULL DEFAULT '';
-- A bearer credential names one provider.
CREATE UNIQUE INDEX registry_providers_credential ON registry_providers (credential_hash) WHERE credential_hash <> '';
