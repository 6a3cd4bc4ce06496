-- 0001 schema: everything SQLite migrations 0001–0011 build, in one PostgreSQL migration (no PostgreSQL database
-- existed before it, so there was nothing to migrate step by step). Later SQLite migrations get their own
-- numbered counterparts here: SQLite 0012 → PostgreSQL 0002, and so on (see README.md beside this file).
-- Migrations are forward-only and never edited once landed: the server refuses a changed checksum.
--
-- Same tables, column names, column order, keys, ON DELETE actions, CHECKs, defaults and index names as SQLite,
-- so one store protocol can have two implementations. The types say what SQLite only implies:
--   BIGINT   snowflakes, unix-ms times, flags and permission bits, GCRA times, counters that can pass 2^31
--   INTEGER  small bounded numbers: discriminator, attempt and failure counters, the COSE algorithm
--   BOOLEAN  the 0/1 flags (stores bind a Swift Bool: SQLite stores it as 0/1, PostgreSQL as a boolean; both
--            drivers' rows read either with `bool(_:)`); SQL literals are TRUE/FALSE, which SQLite also accepts
--   BYTEA    hashes, sealed secrets, credential ids and keys
--   TEXT     everything SQLite keeps as TEXT, JSON and dates included (the stores read back the bytes they wrote)
-- SQLite's auto-assigned rowids (sms_codes.id, audit_events.id) are identity columns; BY DEFAULT, so a copy from
-- SQLite can keep its ids (then setval the sequence). `WITHOUT ROWID` has no PostgreSQL meaning and is dropped.

-- SQLite 0001 foundation: facts about this installation.
CREATE TABLE instance (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- SQLite 0002 accounts: users, sessions, single-use email tokens, persistent attempt limits, the outbox.
-- Secrets are never stored: sessions and email tokens are keyed by SHA-256 of the token.
CREATE TABLE users (
    id                  BIGINT  PRIMARY KEY,              -- snowflake
    username            TEXT    NOT NULL,
    discriminator       INTEGER NOT NULL CHECK (discriminator BETWEEN 0 AND 9999),
    global_name         TEXT,
    email               TEXT,                             -- as entered
    email_key           TEXT    CONSTRAINT users_email_key UNIQUE,  -- lower-cased: unique and looked up case-insensitively
    verified            BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash       TEXT,                             -- argon2id PHC string
    password_changed_at BIGINT,                           -- unix ms
    avatar              TEXT,
    flags               BIGINT  NOT NULL DEFAULT 0,
    bot                 BOOLEAN NOT NULL DEFAULT FALSE,
    system              BOOLEAN NOT NULL DEFAULT FALSE,
    phone               TEXT,
    date_of_birth       TEXT,                             -- YYYY-MM-DD, as SQLite keeps it
    created_at          BIGINT  NOT NULL,                 -- unix ms
    -- SQLite 0005 MFA.
    totp_secret         BYTEA,                            -- secretbox(nonce ‖ tag ‖ ciphertext)
    totp_last_counter   BIGINT,                           -- last accepted RFC 6238 counter (replay guard)
    sms_mfa_enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    mfa_failures        INTEGER NOT NULL DEFAULT 0,       -- consecutive wrong factors, account-wide (LG-01)
    mfa_locked_until    BIGINT
);
-- Usernames are ASCII (AccountValidation.username), so lower() folds them alike under any database locale.
CREATE UNIQUE INDEX users_tag ON users (lower(username), discriminator);

CREATE TABLE sessions (
    id_hash      BYTEA   PRIMARY KEY,                     -- SHA-256 of the flx_ token
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT  NOT NULL,
    client_ip    TEXT,
    user_agent   TEXT,
    is_desktop   BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX sessions_by_user ON sessions (user_id, last_used_at);

CREATE TABLE email_tokens (
    token_hash BYTEA  PRIMARY KEY,                        -- SHA-256 of the token; the row is deleted on use
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT   NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    email      TEXT   NOT NULL,                           -- the address the token was sent to
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_tokens_by_user ON email_tokens (user_id, purpose);

CREATE TABLE rate_limits (
    key TEXT   PRIMARY KEY,                               -- e.g. login:email:<sha256>, login:ip:<addr>
    tat BIGINT NOT NULL                                   -- GCRA theoretical arrival time, unix ms
);

CREATE TABLE outbox (
    id              BIGINT  PRIMARY KEY,                  -- snowflake
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT    NOT NULL,
    kind            TEXT    NOT NULL,                     -- verify_email, password_reset, sms_code, ...
    subject         TEXT,
    body            TEXT    NOT NULL,                     -- sealed; redacted once delivered outside dev mode
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    delivered_at    BIGINT,
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- SQLite 0003 applications and bot tokens. The application id is also its bot user's id (users.bot = TRUE).
-- Client secrets and bot tokens are stored as SHA-256 only; the plaintext is shown once.
CREATE TABLE applications (
    id                       BIGINT  PRIMARY KEY,          -- snowflake = bot user id
    owner_id                 BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                     TEXT    NOT NULL,
    description              TEXT,
    icon                     TEXT,
    redirect_uris            TEXT    NOT NULL DEFAULT '[]', -- JSON array of exact redirect URIs
    bot_public               BOOLEAN NOT NULL DEFAULT TRUE,
    bot_require_code_grant   BOOLEAN NOT NULL DEFAULT FALSE,
    flags                    BIGINT  NOT NULL DEFAULT 0,
    client_secret_hash       BYTEA   NOT NULL,
    client_secret_created_at BIGINT  NOT NULL,
    bot_token_hash           BYTEA,                         -- SHA-256 of the whole current token
    bot_token_preview        TEXT,                          -- first characters of the token's random part
    bot_token_created_at     BIGINT,
    created_at               BIGINT  NOT NULL,
    -- SQLite 0004.
    public_client            BOOLEAN NOT NULL DEFAULT FALSE, -- no secret: PKCE required
    FOREIGN KEY (id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX applications_by_owner ON applications (owner_id);

-- SQLite 0004 OAuth2 provider and the small guild model the bot scope needs.
-- Codes, access and refresh tokens are stored as SHA-256 only. A token family is one grant: the tokens of one
-- code redemption and of every refresh after it; replaying a used code or refresh token revokes the family.
CREATE TABLE guilds (
    id         BIGINT PRIMARY KEY,                                     -- snowflake
    name       TEXT   NOT NULL,
    icon       TEXT,
    owner_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);

CREATE TABLE guild_members (
    guild_id    BIGINT NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permissions BIGINT NOT NULL DEFAULT 0,                             -- permission bits (MANAGE_GUILD = 1 << 5)
    join_source TEXT,
    joined_at   BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX guild_members_by_user ON guild_members (user_id);

-- What a user has consented to for an application (for prompt=none and the authorizations list).
CREATE TABLE oauth2_authorizations (
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes         TEXT   NOT NULL,                                    -- space-separated, canonical order
    authorized_at  BIGINT NOT NULL,
    PRIMARY KEY (application_id, user_id)
);

CREATE TABLE oauth2_codes (
    code_hash      BYTEA   PRIMARY KEY,
    application_id BIGINT  NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id        BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT    NOT NULL,
    redirect_given BOOLEAN NOT NULL,                                   -- whether the request named it (RFC 6749 §4.1.3)
    scopes         TEXT    NOT NULL,
    code_challenge TEXT,                                               -- S256 challenge, if any
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    used_at        BIGINT,                                             -- kept after use to detect replay
    family_id      BIGINT                                              -- the grant its redemption created (no FK, as in SQLite)
);

CREATE TABLE oauth2_families (
    id             BIGINT PRIMARY KEY,                                 -- snowflake
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes         TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoke_reason  TEXT
);
CREATE INDEX oauth2_families_by_user ON oauth2_families (user_id, application_id);

-- application_id and user_id are copies of the family's (no FK, as in SQLite): the family's cascade removes them.
CREATE TABLE oauth2_tokens (
    token_hash     BYTEA  PRIMARY KEY,
    kind           TEXT   NOT NULL CHECK (kind IN ('access', 'refresh')),
    family_id      BIGINT NOT NULL REFERENCES oauth2_families (id) ON DELETE CASCADE,
    application_id BIGINT NOT NULL,
    user_id        BIGINT NOT NULL,
    scopes         TEXT   NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT                                              -- refresh tokens: rotated (single use)
);
CREATE INDEX oauth2_tokens_by_family ON oauth2_tokens (family_id, kind);  -- rotation deletes a family's access tokens

-- SQLite 0005 MFA and sudo: TOTP (secret sealed with secretbox), backup codes (hashed), SMS codes and phone
-- tokens (hashed), WebAuthn credentials, login tickets (hashed) and WebAuthn challenges. Every secret here is
-- either sealed or hashed; nothing usable is stored in the clear. (The users columns are above.)

-- A secret the server generated for setup, waiting for the first code.
CREATE TABLE mfa_pending_totp (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BYTEA  NOT NULL,                              -- sealed
    expires_at BIGINT NOT NULL
);

CREATE TABLE mfa_backup_codes (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   BYTEA  NOT NULL,                             -- HMAC-SHA256(server key, normalised code)
    consumed_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_tickets (
    ticket_hash     BYTEA   PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    context         TEXT                                      -- e.g. JSON of the login's client, for the session
);

-- One-time SMS codes: phone verification, MFA login, sudo. The id is assigned by the database, as SQLite's rowid.
CREATE TABLE sms_codes (
    id              BIGINT  GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose         TEXT    NOT NULL CHECK (purpose IN ('phone_verify', 'login', 'sudo')),
    scope_key       TEXT    NOT NULL,                         -- the phone, or the ticket hash, or 'sudo'
    code_hash       BYTEA   NOT NULL,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at     BIGINT
);
CREATE INDEX sms_codes_lookup ON sms_codes (user_id, purpose, scope_key);

CREATE TABLE phone_tokens (
    token_hash BYTEA  PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone      TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE webauthn_credentials (
    credential_id    BYTEA   PRIMARY KEY,
    user_id          BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    public_key       BYTEA   NOT NULL,                        -- COSE_Key CBOR
    algorithm        INTEGER NOT NULL,                        -- COSE algorithm identifier (-7, -257, ...)
    sign_count       BIGINT  NOT NULL DEFAULT 0,              -- an unsigned 32-bit counter (WebAuthn §6.1)
    aaguid           BYTEA,
    created_at       BIGINT  NOT NULL,
    last_used_at     BIGINT,
    clone_warning_at BIGINT,                                  -- a non-increasing sign count was seen
    -- SQLite 0011, WA-06: the backup-eligible (BE) flag seen at registration; an assertion whose BE differs is
    -- refused. NULL: registered before the column existed; the next accepted assertion records it. (SQLite's
    -- CHECK (backup_eligible IN (0, 1)) is the type itself here.)
    backup_eligible  BOOLEAN
);
CREATE INDEX webauthn_credentials_by_user ON webauthn_credentials (user_id);

-- As rebuilt by SQLite 0007 (passwordless passkey login: its challenges belong to no user until the assertion
-- names one) and extended by 0011.
CREATE TABLE webauthn_challenges (
    challenge_hash BYTEA  PRIMARY KEY,
    user_id        BIGINT REFERENCES users (id) ON DELETE CASCADE,
    purpose        TEXT   NOT NULL CHECK (purpose IN ('register', 'login', 'sudo', 'passkey')),
    ticket_hash    BYTEA,
    expires_at     BIGINT NOT NULL,
    -- SQLite 0011: passkey challenges are issued without authentication; each records its client (IPv4 address,
    -- IPv6 /64) so one client cannot hold the whole table.
    client_key     TEXT,
    -- A passkey challenge has no user; every other purpose has one.
    CHECK ((purpose = 'passkey') = (user_id IS NULL))
);
-- Outstanding passkey challenges are counted on every issue (a cap against table flooding).
CREATE INDEX webauthn_challenges_by_purpose ON webauthn_challenges (purpose, expires_at);
CREATE INDEX webauthn_challenges_by_client ON webauthn_challenges (client_key, expires_at);

-- SQLite 0006 audit log: who did what security-relevant thing, from where, with what outcome. Never a secret.
-- No foreign keys: the log outlives the users and applications it names. Ids never repeat (SQLite AUTOINCREMENT).
CREATE TABLE audit_events (
    id             BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at             BIGINT NOT NULL,                  -- unix ms
    event          TEXT   NOT NULL,                  -- login.success, login.failure, mfa.failure, token.reset, ...
    outcome        TEXT   NOT NULL,                  -- success, failure, refused
    user_id        BIGINT,
    application_id BIGINT,
    ip             TEXT,
    user_agent     TEXT,
    detail         TEXT                              -- short, fixed vocabulary (e.g. "code_replay"), never input
);
CREATE INDEX audit_events_by_time ON audit_events (at);
CREATE INDEX audit_events_by_user ON audit_events (user_id, at);

-- SQLite 0008–0011 OpenID Connect and AT Protocol sign-in (/auth/sso/*).
-- A started sign-in: looked up by SHA-256 of its state, used once, 10 minutes. The PKCE verifier is sealed with
-- the server's secretbox key; the nonce is not a secret (it travels in the ID token) but binds the token to
-- this sign-in.
CREATE TABLE sso_states (
    state_hash      BYTEA  PRIMARY KEY,
    provider        TEXT   NOT NULL,
    nonce           TEXT   NOT NULL,
    verifier_sealed BYTEA  NOT NULL,
    redirect_to     TEXT   NOT NULL,
    expires_at      BIGINT NOT NULL,
    -- SQLite 0009: the redirect URI sent to the provider (the token exchange repeats it), and SHA-256 of the
    -- HttpOnly cookie of the browser that started the sign-in (login CSRF); NULL when started through the API.
    redirect_uri    TEXT,
    browser_binding BYTEA,
    -- SQLite 0010: the client address, for a per-client cap.
    client_ip       TEXT,
    -- SQLite 0011: set when a signed-in user (with sudo) links the provider account to theirs; only that user
    -- can finish it. No FK, as in SQLite: the state dies within minutes and the callback checks the user.
    link_user_id    BIGINT
);
CREATE INDEX sso_states_by_expiry ON sso_states (expires_at);
CREATE INDEX sso_states_by_client ON sso_states (client_ip, expires_at);

-- Which provider account signs in as which user, keyed by (issuer, subject) as rebuilt by SQLite 0010: a
-- provider's `sub` is unique only within its issuer (OIDC Core §2, §5.7).
CREATE TABLE sso_identities (
    issuer        TEXT   NOT NULL,
    subject       TEXT   NOT NULL,
    provider      TEXT   NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT,
    created_at    BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_by_user ON sso_identities (user_id);
