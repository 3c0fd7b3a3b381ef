-- Filing passwords owed by approved first filings (Rule PWD-1): the
-- bureau's approval records the debt in its transaction, and the
-- registry's password loop (regulator.IssueDuePasswords) draws the
-- password, hashes it with argon2id outside any transaction, then issues
-- it and deletes the row in one. The approval no longer waits for the
-- hash; a crash in between leaves the row, and the loop issues it after
-- the restart. The row's deletion decides which of several instances
-- issues it.
CREATE TABLE registry_password_due (
    subject_number TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
