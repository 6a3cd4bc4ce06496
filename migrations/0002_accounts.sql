-- 0002 accounts: users, sessions, single-use email tokens, persistent attempt limits, the outbox.
-- Secrets are never stored: sessions and email tokens are keyed by SHA-256 of the token.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,              -- snowflake
    username            TEXT    NOT NULL,
    discriminator       INTEGER NOT NULL CHECK (discriminator BETWEEN 0 AND 9999),
    global_name         TEXT,
    email               TEXT,                             -- as entered
    email_key           TEXT UNIQUE,                      -- lower-cased: unique and looked up case-insensitively
    verified            INTEGER NOT NULL DEFAULT 0,
    password_hash       TEXT,                             -- argon2id PHC string
    password_changed_at INTEGER,                          -- unix ms
    avatar              TEXT,
    flags               INTEGER NOT NULL DEFAULT 0,
    bot                 INTEGER NOT NULL DEFAULT 0,
    system              INTEGER NOT NULL DEFAULT 0,
    phone               TEXT,
    date_of_birth       TEXT,
    created_at          INTEGER NOT NULL                  -- unix ms
);
CREATE UNIQUE INDEX users_tag ON users (lower(username), discriminator);

CREATE TABLE sessions (
    id_hash      BLOB PRIMARY KEY,                        -- SHA-256 of the flx_ token
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    client_ip    TEXT,
    user_agent   TEXT,
    is_desktop   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id, last_used_at);

CREATE TABLE email_tokens (
    token_hash BLOB PRIMARY KEY,                          -- SHA-256 of the token; the row is deleted on use
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    email      TEXT    NOT NULL,                          -- the address the token was sent to
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose);

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,                                 -- e.g. login:email:<sha256>, login:ip:<addr>
    tat INTEGER NOT NULL                                  -- GCRA theoretical arrival time, unix ms
) WITHOUT ROWID;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,                  -- snowflake
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,                     -- verify_email, password_reset, sms_code, ...
    subject         TEXT,
    body            TEXT    NOT NULL,                     -- redacted once delivered outside dev mode
    created_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    delivered_at    INTEGER,
    failed_at       INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
