-- 0015 issue 15: IP authorization (security.ip_authorization, the real server's flow) and password change with an
-- emailed code (/users/@me/password-change/*).
--
-- The networks an account has been authorized from: registration authorizes the registering address, and
-- POST /auth/authorize-ip the address of the login that asked. Never the address itself: `ip_key` is an
-- HMAC-SHA256, keyed by the server secret, of the user id and the address (an IPv6 address by its /64), so the
-- table alone tells nobody where a user signs in from, and a guess cannot be tested without the key.
CREATE TABLE authorized_ips (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_key     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, ip_key)
) WITHOUT ROWID;
-- A password login from an address not yet authorized (403 IP_AUTHORIZATION_REQUIRED): the ticket the answer
-- carried (polled by the client) and the token the email's link carries, each stored as SHA-256 (64 base62
-- characters). The ticket lives 15 minutes, the token 30 (`expires_at` while pending). Opening the link spends
-- the token (token_hash NULL, authorized_at set) and leaves the row 60 s for one poll, which deletes it and only
-- then makes the session: no session token is ever at rest. `client_ip` is shown in the (re)sent email and goes
-- with the row (30 minutes at most, swept by maintenance). One resend, 30 s after the login at the earliest.
CREATE TABLE ip_authorizations (
    ticket_hash       BLOB    PRIMARY KEY NOT NULL,
    token_hash        BLOB    UNIQUE,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_key            BLOB    NOT NULL,
    client_ip         TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    ticket_expires_at INTEGER NOT NULL,
    resent            INTEGER NOT NULL DEFAULT 0,
    authorized_at     INTEGER,
    expires_at        INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ip_authorizations_by_user ON ip_authorizations (user_id);
CREATE INDEX ip_authorizations_by_expiry ON ip_authorizations (expires_at);
-- A password change in progress: start mails a code (`XXXX-XXXX`, stored as an HMAC keyed by the server secret and
-- bound to the ticket; 10 minutes, 5 wrong tries), verify spends it for a proof (SHA-256 stored), complete spends
-- the proof (status 'completed', kept until the ticket expires so a replay is told so). The ticket (SHA-256 of 64
-- base62 characters) lives 30 minutes.
CREATE TABLE password_change_tickets (
    ticket_hash     BLOB    PRIMARY KEY NOT NULL,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'verified', 'completed')),
    code_hash       BLOB,
    code_sent_at    INTEGER NOT NULL,
    code_expires_at INTEGER NOT NULL,
    code_failures   INTEGER NOT NULL DEFAULT 0,
    proof_hash      BLOB,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX password_change_tickets_by_user ON password_change_tickets (user_id);
CREATE INDEX password_change_tickets_by_expiry ON password_change_tickets (expires_at);
