-- The provider context: accounts (provider_accounts), resources, authorization codes, subjects,
-- websites, orders, review items, verifications, documents, and the
-- servable-domain table with its change log that the gate reads.

CREATE TABLE provider_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    login TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('customer', 'provider_reviewer', 'verifier', 'provider_admin')),
    name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL DEFAULT '',
    disabled_at BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);

-- Rule ACC-2: prepaid mainland servers with a public IP qualify.
CREATE TABLE resources (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES provider_accounts (id),
    external_id TEXT NOT NULL UNIQUE,
    billing TEXT NOT NULL CHECK (billing IN ('prepaid', 'postpaid')),
    mainland INTEGER NOT NULL CHECK (mainland IN (0, 1)),
    public_ips TEXT NOT NULL DEFAULT '',
    term_start BIGINT NOT NULL,
    term_end BIGINT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CHECK (term_end > term_start)
);
CREATE INDEX resources_account ON resources (account_id);

-- Rule ACC-3.
CREATE TABLE auth_codes (
    code TEXT PRIMARY KEY,
    resource_id BIGINT NOT NULL REFERENCES resources (id),
    account_id BIGINT NOT NULL REFERENCES provider_accounts (id),
    expires_at BIGINT NOT NULL,
    use_limit INTEGER NOT NULL CHECK (use_limit > 0),
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    CHECK (uses >= 0 AND uses <= use_limit),
    CHECK (revoked_at = 0 OR uses = 0)
);
CREATE INDEX auth_codes_account ON auth_codes (account_id);

CREATE TABLE subjects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES provider_accounts (id),
    subject_key TEXT NOT NULL,
    nature TEXT NOT NULL,
    name TEXT NOT NULL,
    cert_type TEXT NOT NULL,
    cert_number TEXT NOT NULL,
    province TEXT NOT NULL,
    number TEXT UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'cancelled')),
    data TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Rule ACC-1: an account holds one subject at a time.
CREATE UNIQUE INDEX subjects_one_per_account ON subjects (account_id) WHERE status <> 'cancelled';
CREATE INDEX subjects_key ON subjects (subject_key);

CREATE TABLE websites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id BIGINT NOT NULL REFERENCES subjects (id),
    number TEXT UNIQUE,
    name TEXT NOT NULL,
    access TEXT NOT NULL CHECK (access IN ('served', 'pending', 'access_cancelled', 'cancelled', 'lapsed')),
    access_until BIGINT NOT NULL DEFAULT 0,
    data TEXT NOT NULL DEFAULT '{}',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX websites_subject ON websites (subject_id);

-- Rule WEB-4 (provider side): a domain belongs to at most one active website here.
CREATE TABLE website_domains (
    website_id BIGINT NOT NULL REFERENCES websites (id),
    domain TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    PRIMARY KEY (website_id, domain)
);
CREATE UNIQUE INDEX website_domains_one_active ON website_domains (domain) WHERE active = 1;

CREATE TABLE orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES provider_accounts (id),
    subject_id BIGINT REFERENCES subjects (id),
    subject_key TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('first_filing', 'new_website', 'transfer_in', 'change_subject', 'change_website', 'change_access', 'cancel_subject', 'cancel_website', 'cancel_access')),
    stage TEXT NOT NULL CHECK (stage IN ('draft', 'initial_review', 'needs_fix', 'supplement_requested', 'verification', 'photo_review', 'sms_confirmation', 'bureau_review', 'returned', 'bureau_rejected', 'approved', 'abandoned')),
    commercial INTEGER NOT NULL DEFAULT 0 CHECK (commercial IN (0, 1)),
    data TEXT NOT NULL DEFAULT '{}',
    flagged TEXT NOT NULL DEFAULT '[]',
    version BIGINT NOT NULL DEFAULT 1,
    create_key TEXT NOT NULL DEFAULT '',
    last_key TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL DEFAULT 0,
    stage_at BIGINT NOT NULL
);
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_stage ON orders (stage, stage_at);
-- Rule ACC-4: one order in flight per subject.
CREATE UNIQUE INDEX orders_one_in_flight ON orders (subject_key) WHERE stage NOT IN ('approved', 'abandoned');
-- Idempotent create (Idempotency-Key).
CREATE UNIQUE INDEX orders_create_key ON orders (account_id, create_key) WHERE create_key <> '';

-- Rules REV-3, REV-4, REV-5.
CREATE TABLE review_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    round INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('initial', 'photo', 'bureau')),
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    suggestion TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL CHECK (action IN ('fix_subject', 'fix_website', 'fix_materials')),
    photo INTEGER NOT NULL DEFAULT 0 CHECK (photo IN (0, 1)),
    reviewer_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX review_items_order ON review_items (order_id, round);

-- Rules VER-1, VER-2, REV-6.
CREATE TABLE verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    method TEXT NOT NULL CHECK (method IN ('point', 'curtain', 'upload', 'app')),
    status TEXT NOT NULL CHECK (status IN ('requested', 'submitted', 'approved', 'rejected')),
    photo_sha256 TEXT NOT NULL DEFAULT '',
    sharpness DOUBLE PRECISION NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '{}',
    approved_at BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX verifications_order ON verifications (order_id, id);

-- Documents' metadata; the content lives in the blob store (PRIV-1).
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    kind TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    uploaded_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX documents_order ON documents (order_id);
CREATE INDEX documents_sha ON documents (sha256);

-- The gate's source (GATE-1): every registrable domain this provider knows,
-- with its reason; changes are appended to servable_changes in the same
-- transaction as the website's state change.
CREATE TABLE servable_domains (
    domain TEXT PRIMARY KEY,
    website_id BIGINT NOT NULL REFERENCES websites (id),
    website_number TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL CHECK (reason IN ('served', 'pending', 'access_cancelled', 'cancelled', 'lapsed')),
    seq BIGINT NOT NULL
);
CREATE INDEX servable_domains_website ON servable_domains (website_id);

CREATE TABLE servable_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL,
    reason TEXT NOT NULL,
    website_number TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL
);
