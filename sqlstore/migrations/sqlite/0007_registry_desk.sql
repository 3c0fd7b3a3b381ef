-- The bureau desk (package regulator): offline filing-password requests
-- (PWD-4), the cancellations a bureau decides itself (CAN-1: subject
-- request, conflict claim, false information, illegal content) and its
-- spot checks. Each row belongs to one province's bureau (GB/T 2260 code).

-- Rule PWD-4: an offline password request, recorded by the province's bureau
-- reviewer from the applicant's form and answered by phone. contact_phone is
-- personal data: lists show it masked.
CREATE TABLE registry_password_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    province TEXT NOT NULL,
    subject_number TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('requested', 'answered', 'refused')),
    answer_note TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    answered_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    answered_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX registry_password_requests_province ON registry_password_requests (province, id);

-- Rule CAN-1: one cancellation decided at a bureau's desk. number is what was
-- named; subject_number is set when the subject went too, websites lists the
-- website numbers cancelled (';'-separated).
CREATE TABLE registry_desk_cancellations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    province TEXT NOT NULL,
    number TEXT NOT NULL,
    reason TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    blacklisted INTEGER NOT NULL DEFAULT 0 CHECK (blacklisted IN (0, 1)),
    subject_number TEXT NOT NULL DEFAULT '',
    websites TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX registry_desk_cancellations_province ON registry_desk_cancellations (province, id);

-- Rule CAN-1: a bureau's spot check of a filing; a failed one cancels it
-- (cancellation_id names the registry_desk_cancellations row, 0 for none).
CREATE TABLE registry_spot_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    province TEXT NOT NULL,
    number TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('passed', 'failed')),
    reason TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    cancellation_id BIGINT NOT NULL DEFAULT 0,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX registry_spot_checks_province ON registry_spot_checks (province, id);
