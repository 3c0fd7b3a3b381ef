-- Provider reviews, verification, submission to the registry and its event
-- feed (issue 6): review claims, supplementary-material requests, the
-- websites an order concerns, one row per registry submission attempt with
-- its idempotency key, and the event cursor with the applied event IDs.

-- Reviewers claim an order before deciding (Rules REV-1, REV-4): one live
-- claim per order, for the stage it was taken in; it expires.
CREATE TABLE review_claims (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    reviewer_id BIGINT NOT NULL REFERENCES provider_accounts (id),
    stage TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Supplementary-material requests (Rules SUBJ-2, REV-8): due in N business days.
CREATE TABLE supplement_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    reviewer_id BIGINT NOT NULL REFERENCES provider_accounts (id),
    note TEXT NOT NULL DEFAULT '',
    fields TEXT NOT NULL DEFAULT '[]',
    due_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX supplement_requests_order ON supplement_requests (order_id, id);

-- The websites an order concerns at this provider (Rule GATE-2: the
-- transfer-in's access and its lapse; approvals and cancellations).
CREATE TABLE order_websites (
    order_id BIGINT NOT NULL REFERENCES orders (id),
    website_id BIGINT NOT NULL REFERENCES websites (id),
    PRIMARY KEY (order_id, website_id)
);
CREATE INDEX order_websites_website ON order_websites (website_id);

-- One row per submission attempt of an order to the registry, written with
-- its idempotency key before the connector is called, so that a retry after
-- a crash or a timeout reuses the key (connector contract).
CREATE TABLE order_submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    attempt INTEGER NOT NULL CHECK (attempt > 0),
    idem_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'refused')),
    submission_id TEXT NOT NULL DEFAULT '',
    due_date BIGINT NOT NULL DEFAULT 0,
    tries INTEGER NOT NULL DEFAULT 0,
    next_try_at BIGINT NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (order_id, attempt)
);
CREATE INDEX order_submissions_pending ON order_submissions (state, next_try_at);
CREATE INDEX order_submissions_sid ON order_submissions (submission_id);

-- The registry's event feed as consumed here: the cursor, and every event
-- ID applied (effects are idempotent by event ID; connector contract).
CREATE TABLE provider_event_cursor (
    name TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE provider_events_applied (
    event_id BIGINT PRIMARY KEY,
    type TEXT NOT NULL,
    order_number TEXT NOT NULL DEFAULT '',
    applied_at BIGINT NOT NULL
);
