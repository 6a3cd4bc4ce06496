-- 0007 passwordless passkey login (POST /auth/webauthn/*): its challenges belong to no user until the
-- assertion names one, so the purpose list gains 'passkey'. SQLite cannot alter a CHECK constraint, so the
-- table is rebuilt with its rows (all short-lived; the rebuild keeps them anyway).
CREATE TABLE webauthn_challenges_new (
    challenge_hash BLOB    PRIMARY KEY,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    purpose        TEXT    NOT NULL CHECK (purpose IN ('register', 'login', 'sudo', 'passkey')),
    ticket_hash    BLOB,
    expires_at     INTEGER NOT NULL,
    -- A passkey challenge has no user; every other purpose has one.
    CHECK ((purpose = 'passkey') = (user_id IS NULL))
) WITHOUT ROWID;
INSERT INTO webauthn_challenges_new (challenge_hash, user_id, purpose, ticket_hash, expires_at)
    SELECT challenge_hash, user_id, purpose, ticket_hash, expires_at FROM webauthn_challenges WHERE user_id IS NOT NULL;
DROP TABLE webauthn_challenges;
ALTER TABLE webauthn_challenges_new RENAME TO webauthn_challenges;
-- Outstanding passkey challenges are counted on every issue (a cap against table flooding).
CREATE INDEX webauthn_challenges_by_purpose ON webauthn_challenges (purpose, expires_at);
