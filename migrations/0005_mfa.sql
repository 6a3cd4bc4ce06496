-- 0005 MFA and sudo: TOTP (secret sealed with secretbox), backup codes (hashed), SMS codes and phone tokens
-- (hashed), WebAuthn credentials, login tickets (hashed) and WebAuthn challenges. Every secret here is either
-- sealed or hashed; nothing usable is stored in the clear.

ALTER TABLE users ADD COLUMN totp_secret BLOB;                   -- secretbox(nonce ‖ tag ‖ ciphertext)
ALTER TABLE users ADD COLUMN totp_last_counter INTEGER;          -- last accepted RFC 6238 counter (replay guard)
ALTER TABLE users ADD COLUMN sms_mfa_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_failures INTEGER NOT NULL DEFAULT 0;      -- consecutive wrong second factors
ALTER TABLE users ADD COLUMN mfa_locked_until INTEGER;

-- A secret the server generated for setup, waiting for the first code.
CREATE TABLE mfa_pending_totp (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BLOB    NOT NULL,                                 -- sealed
    expires_at INTEGER NOT NULL
);

CREATE TABLE mfa_backup_codes (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   BLOB    NOT NULL,                                -- HMAC-SHA256(server key, normalised code)
    consumed_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

CREATE TABLE mfa_tickets (
    ticket_hash     BLOB    PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    context         TEXT                                          -- e.g. JSON of the login's client, for the session
) WITHOUT ROWID;

-- One-time SMS codes: phone verification, MFA login, sudo.
CREATE TABLE sms_codes (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT    NOT NULL CHECK (purpose IN ('phone_verify', 'login', 'sudo')),
    scope_key       TEXT    NOT NULL,                             -- the phone, or the ticket hash, or 'sudo'
    code_hash       BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at     INTEGER
);
CREATE INDEX sms_codes_lookup ON sms_codes (user_id, purpose, scope_key);

CREATE TABLE phone_tokens (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE webauthn_credentials (
    credential_id    BLOB    PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    public_key       BLOB    NOT NULL,                            -- COSE_Key CBOR
    algorithm        INTEGER NOT NULL,
    sign_count       INTEGER NOT NULL DEFAULT 0,
    aaguid           BLOB,
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER,
    clone_warning_at INTEGER                                      -- a non-increasing sign count was seen
) WITHOUT ROWID;
CREATE INDEX webauthn_credentials_by_user ON webauthn_credentials (user_id);

CREATE TABLE webauthn_challenges (
    challenge_hash BLOB    PRIMARY KEY,
    user_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    purpose        TEXT    NOT NULL CHECK (purpose IN ('register', 'login', 'sudo')),
    ticket_hash    BLOB,
    expires_at     INTEGER NOT NULL
) WITHOUT ROWID;
