-- The regulator's submission pipeline (package regulator): orders handed to
-- the registry by providers through the connector, the registry's SMS
-- confirmation of each responsible person (VER-3), and the events the
-- registry reports back to each provider, pulled with a cursor.

-- One order submission attempt of a provider; (provider, idem_key) is the
-- connector's idempotency key. payload is the submission as JSON without
-- its password (PWD-2: never stored). subject_key is the subject's
-- certificate (type:number) while the order is at the registry.
CREATE TABLE registry_submissions (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_number TEXT NOT NULL,
    type TEXT NOT NULL,
    province TEXT NOT NULL,
    subject_key TEXT NOT NULL DEFAULT '',
    subject_number TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sms_confirmation', 'bureau_review', 'approved', 'rejected', 'returned', 'cancelled')),
    return_reason TEXT NOT NULL DEFAULT '',
    due_date BIGINT NOT NULL DEFAULT 0,
    sms_deadline BIGINT NOT NULL DEFAULT 0,
    submitted_at BIGINT NOT NULL,
    decided_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider, idem_key)
);
-- The bureau desk's queue: a province's orders in review, oldest due first (REV-2).
CREATE INDEX registry_submissions_queue ON registry_submissions (province, status, due_date);
-- One order of a subject at the registry at a time (the state that makes a
-- second submission a conflict, connector contract; ACC-4 on the registry's side).
CREATE UNIQUE INDEX registry_submissions_in_flight ON registry_submissions (subject_key) WHERE subject_key <> '' AND status IN ('sms_confirmation', 'bureau_review');

-- Rule VER-3: one row per responsible person's role in a submission
-- ("subject", "websites[i]"); one person in several roles shares one code.
-- The code is stored only hashed; failures count wrong entries.
CREATE TABLE registry_confirmations (
    submission_id TEXT NOT NULL REFERENCES registry_submissions (id),
    role TEXT NOT NULL,
    phone TEXT NOT NULL,
    cert_last6 TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    confirmed_at BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (submission_id, role)
);
CREATE INDEX registry_confirmations_phone ON registry_confirmations (phone) WHERE confirmed_at = 0;

-- The results the registry reports to each provider, in id order per
-- provider (connector contract: delivered at least once, in order).
CREATE TABLE registry_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    submission_id TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX registry_events_provider ON registry_events (provider, id);

-- One row per provider, locked by every transaction that writes its events
-- before the first one, so that events commit in id order (PostgreSQL
-- draws identities before commit).
CREATE TABLE registry_event_heads (
    provider TEXT PRIMARY KEY,
    last_id BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
