-- 0004 (SQLite 0014) issue 14: one-time SSO completion codes (SHA-256 of the code, 60 s, single use), the callback's
-- browser binding, and our AT Protocol OAuth client's sealed ES256 keys. See the SQLite migration for the details.
CREATE TABLE sso_completions (
    code_hash   BYTEA  PRIMARY KEY,
    provider    TEXT   NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outcome     TEXT   NOT NULL CHECK (outcome IN ('session', 'mfa', 'linked')),
    redirect_to TEXT   NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sso_completions_by_expiry ON sso_completions (expires_at);
ALTER TABLE sso_states ADD COLUMN callback_binding BYTEA;
ALTER TABLE sso_states ADD COLUMN purpose TEXT CHECK (purpose IS NULL OR purpose = 'connection');
ALTER TABLE sso_identities ADD COLUMN handle TEXT;
CREATE TABLE atproto_client_keys (
    kid                TEXT   PRIMARY KEY,
    private_key_sealed BYTEA  NOT NULL,
    created_at         BIGINT NOT NULL,
    retired_at         BIGINT
);
