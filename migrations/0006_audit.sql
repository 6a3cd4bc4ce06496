-- 0006 audit log: who did what security-relevant thing, from where, with what outcome. Never a secret.
CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             INTEGER NOT NULL,                 -- unix ms
    event          TEXT    NOT NULL,                 -- login.success, login.failure, mfa.failure, token.reset, ...
    outcome        TEXT    NOT NULL,                 -- success, failure, refused
    user_id        INTEGER,
    application_id INTEGER,
    ip             TEXT,
    user_agent     TEXT,
    detail         TEXT                              -- short, fixed vocabulary (e.g. "code_replay"), never input
);
CREATE INDEX audit_events_by_time ON audit_events (at);
CREATE INDEX audit_events_by_user ON audit_events (user_id, at);

-- Per-account failure counter across password, TOTP, SMS and backup codes (LG-01); the columns added in 0005
-- for MFA are the account-wide counter and lock.
