-- Orders of every type (issue 6): the stage history of each order, written in
-- the same transaction as each move (Rules REV-2, CAL-1: the timeline's done
-- stages and the observed bureau durations behind predicted dates), the
-- facts the provider derives at submit (Rules OTH-2, SUBJ-2, CAN-4), and the
-- authorization codes each order has used (Rule ACC-3).

CREATE TABLE order_stages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    from_stage TEXT NOT NULL DEFAULT '',
    to_stage TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    province TEXT NOT NULL DEFAULT '',
    entered_at BIGINT NOT NULL,
    at BIGINT NOT NULL,
    data_hash TEXT NOT NULL DEFAULT ''
);
CREATE INDEX order_stages_order ON order_stages (order_id, id);
-- Finished bureau reviews per province, newest first (predicted dates).
CREATE INDEX order_stages_finished ON order_stages (from_stage, province, at);

CREATE TABLE order_facts (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    baseline TEXT NOT NULL DEFAULT '',
    changed TEXT NOT NULL DEFAULT '[]',
    flags TEXT NOT NULL DEFAULT '[]',
    effect TEXT NOT NULL DEFAULT '',
    new_person INTEGER NOT NULL DEFAULT 0 CHECK (new_person IN (0, 1)),
    updated_at BIGINT NOT NULL
);

CREATE TABLE order_auth_codes (
    order_id BIGINT NOT NULL REFERENCES orders (id),
    code TEXT NOT NULL,
    used_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, code)
);
