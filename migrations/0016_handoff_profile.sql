-- 0016 issue 15: desktop handoff, email change and revert, and the profile fields of PATCH /users/@me and
-- PATCH /oauth2/applications/{id}/bot.
--
-- Desktop handoff (POST /auth/handoff/initiate → complete → GET …/status): the 8-character code is stored only as
-- an HMAC-SHA-256 keyed by the server secret (a 40-bit code's plain hash could be reversed from a stolen copy of
-- the database). `client_key` is the initiating client (IPv4 address or IPv6 /64): only it may poll and cancel.
-- Completion records the browser session that vouched for the hand-over (`session_hash`, NULL while pending); the
-- desktop's own new session is made when it polls, so no session token is ever stored, and the row goes with the
-- browser session (ON DELETE CASCADE): a hand-over whose session was logged out before pickup is gone. 5 minutes,
-- single use (DELETE … RETURNING at pickup).
CREATE TABLE desktop_handoffs (
    code_hash    BLOB    PRIMARY KEY NOT NULL,
    client_key   TEXT    NOT NULL,
    session_hash BLOB    REFERENCES sessions (id_hash) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    completed_at INTEGER,
    expires_at   INTEGER NOT NULL,
    CHECK ((session_hash IS NULL) = (completed_at IS NULL))
) WITHOUT ROWID;
CREATE INDEX desktop_handoffs_by_expiry ON desktop_handoffs (expires_at);
CREATE INDEX desktop_handoffs_by_session ON desktop_handoffs (session_hash);

-- Email change links (to the new address: the change takes effect only when it is proven) and revert links (to
-- the old address, 48 h: POST /auth/email-revert restores it). SHA-256 of the 64-character token, deleted on use.
-- `email`: the new address (email_change) or the address to restore (email_revert); `email_key` its lower-cased
-- form: while a revert link is live its address stays reserved for the account it was taken from.
CREATE TABLE email_change_tokens (
    token_hash BLOB    PRIMARY KEY NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('email_change', 'email_revert')),
    email      TEXT    NOT NULL,
    email_key  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX email_change_tokens_by_user ON email_change_tokens (user_id, purpose);
CREATE INDEX email_change_tokens_by_email ON email_change_tokens (email_key, purpose);

-- Profile fields: the bio (at most 1024 characters for bots, 320 for users) and the banner image's hash (the
-- avatar already had its column).
ALTER TABLE users ADD COLUMN bio TEXT;
ALTER TABLE users ADD COLUMN banner TEXT;
