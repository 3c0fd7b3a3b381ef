-- Rule NOTE-1: a server term ending within 30 days warns the customer once
-- per resource and term. A row records that the warning for the term ending
-- at term_end was written to the outbox; a renewed term (a new term_end)
-- is warned again.
CREATE TABLE resource_term_warnings (
    resource_id BIGINT NOT NULL REFERENCES resources (id),
    term_end BIGINT NOT NULL,
    warned_at BIGINT NOT NULL,
    PRIMARY KEY (resource_id, term_end)
);
