-- The sandbox's verification app (package sandbox, Rule VER-2): each picture
-- verification code it issued, bound to one order and one person, single
-- use, valid for 24 hours. The code is kept only as its SHA-256 (code_hash)
-- and the person only as a salted hash of the certificate (person_hash):
-- no personal data and no usable code in the table. The bureau policy of
-- the sandbox lives in kv (sandbox.bureau_policy).
CREATE TABLE sandbox_app_codes (
    code_hash TEXT PRIMARY KEY,
    order_number TEXT NOT NULL,
    person_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sandbox_app_codes_order ON sandbox_app_codes (order_number, created_at);
