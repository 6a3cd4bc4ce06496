-- 0008 OpenID Connect sign-in (/auth/sso/*).
-- A started sign-in: looked up by SHA-256 of its state, used once, 10 minutes. The PKCE verifier is sealed with
-- the server's secretbox key; the nonce is not a secret (it travels in the ID token) but binds the token to
-- this sign-in.
CREATE TABLE sso_states (
    state_hash      BLOB    PRIMARY KEY,
    provider        TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    verifier_sealed BLOB    NOT NULL,
    redirect_to     TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sso_states_by_expiry ON sso_states (expires_at);

-- Which provider account signs in as which user: found by (provider, subject) first, so a later email change
-- at the provider still reaches the same account.
CREATE TABLE sso_identities (
    provider      TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
) WITHOUT ROWID;
CREATE INDEX sso_identities_by_user ON sso_identities (user_id);
