-- 0006 (SQLite 0016) issue 15: desktop handoff codes (HMAC of the code, bound to the initiating client and, once
-- completed, to the browser session that vouched for it), email change and revert links, and the users' bio and
-- banner. See the SQLite migration for the details.
CREATE TABLE desktop_handoffs (
    code_hash    BYTEA  PRIMARY KEY,
    client_key   TEXT   NOT NULL,
    session_hash BYTEA  REFERENCES sessions (id_hash) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    completed_at BIGINT,
    expires_at   BIGINT NOT NULL,
    CHECK ((session_hash IS NULL) = (completed_at IS NULL))
);
CREATE INDEX desktop_handoffs_by_expiry ON desktop_handoffs (expires_at);
CREATE INDEX desktop_handoffs_by_session ON desktop_handoffs (session_hash);
CREATE TABLE email_change_tokens (
    token_hash BYTEA  PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT   NOT NULL CHECK (purpose IN ('email_change', 'email_revert')),
    email      TEXT   NOT NULL,
    email_key  TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_change_tokens_by_user ON email_change_tokens (user_id, purpose);
CREATE INDEX email_change_tokens_by_email ON email_change_tokens (email_key, purpose);
ALTER TABLE users ADD COLUMN bio TEXT;
ALTER TABLE users ADD COLUMN banner TEXT;
