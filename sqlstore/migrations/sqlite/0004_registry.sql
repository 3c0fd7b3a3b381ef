-- The regulator's registry (package regulator): providers known to the
-- registry, subjects and websites with their numbers, domains, access by
-- providers, the serial allocator, status history, the domain registration
-- records of WEB-6 and the blacklist of CAN-1. The provider context never
-- reads these tables, and the regulator never reads the provider's.

-- Providers known to the registry; credentials are issued by a later step.
CREATE TABLE registry_providers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    credential_hash TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- Rule NUM-1: <abbr>ICP备<serial>号; next_site numbers the websites, never reused (CAN-3).
CREATE TABLE registry_subjects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    province TEXT NOT NULL,
    nature TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    cert_type TEXT NOT NULL,
    cert_number TEXT NOT NULL,
    cert_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
    password_hash TEXT NOT NULL DEFAULT '',
    next_site INTEGER NOT NULL DEFAULT 1 CHECK (next_site >= 1),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    approved_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
-- Rule SUBJ-1: a certificate has at most one active subject number. Imported
-- filings may carry no certificate (cert_key '').
CREATE UNIQUE INDEX registry_subjects_active_cert ON registry_subjects (cert_key) WHERE status = 'active' AND cert_key <> '';
-- Rule QRY-1: subject-name prefix search (SQLite: a range on the BINARY index).
CREATE INDEX registry_subjects_unit_name ON registry_subjects (unit_name);

CREATE TABLE registry_websites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id BIGINT NOT NULL REFERENCES registry_subjects (id),
    number TEXT NOT NULL UNIQUE,
    site INTEGER NOT NULL CHECK (site >= 1),
    name TEXT NOT NULL,
    home_url TEXT NOT NULL DEFAULT '',
    service_content TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    approved_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (subject_id, site)
);

-- Rule WEB-4 (registry side): a domain belongs to at most one active website.
CREATE TABLE registry_website_domains (
    website_id BIGINT NOT NULL REFERENCES registry_websites (id),
    domain TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    PRIMARY KEY (website_id, domain)
);
CREATE UNIQUE INDEX registry_website_domains_active ON registry_website_domains (domain) WHERE active = 1;

-- Rule OTH-1: several providers may serve one website at once; until 0 = active.
CREATE TABLE registry_access (
    website_id BIGINT NOT NULL REFERENCES registry_websites (id),
    provider TEXT NOT NULL,
    since BIGINT NOT NULL,
    until BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (website_id, provider, since)
);
CREATE INDEX registry_access_provider ON registry_access (provider, website_id) WHERE until = 0;

-- Rule NUM-1: the 6-digit sequence per province and year; next is the next to hand out.
CREATE TABLE registry_serials (
    province TEXT NOT NULL,
    year INTEGER NOT NULL,
    next INTEGER NOT NULL CHECK (next >= 1),
    PRIMARY KEY (province, year)
);

-- Rule CAN-3: every status a number took, with the reason.
CREATE TABLE registry_status_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
CREATE INDEX registry_status_history_number ON registry_status_history (number, id);

-- Rule WEB-6: the domain registration data the registry's five checks read.
CREATE TABLE registry_domain_records (
    domain TEXT PRIMARY KEY,
    holder_name TEXT NOT NULL DEFAULT '',
    holder_cert_type TEXT NOT NULL DEFAULT '',
    holder_cert_number TEXT NOT NULL DEFAULT '',
    registrar TEXT NOT NULL DEFAULT '',
    registered_on BIGINT NOT NULL DEFAULT 0,
    expires_on BIGINT NOT NULL DEFAULT 0,
    real_name_verified INTEGER NOT NULL DEFAULT 0 CHECK (real_name_verified IN (0, 1)),
    updated_at BIGINT NOT NULL
);

-- Rule CAN-1: certificate numbers and website names that may never be filed again.
CREATE TABLE registry_blacklist (
    kind TEXT NOT NULL CHECK (kind IN ('cert', 'website_name')),
    value TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
