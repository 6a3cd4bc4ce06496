-- 0010 single sign-on hardening (review): a provider's `sub` is unique only within its issuer (OIDC Core §2,
-- §5.7), so identities are keyed by (issuer, subject); changing the issuer under the same provider name can then
-- never sign one person in as another. Rows from 0008 keep a placeholder issuer that matches nothing: their
-- owners link again through their verified email. Pending sign-ins record the client address, for a per-client cap.
CREATE TABLE sso_identities_new (
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    provider      TEXT    NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email         TEXT,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
) WITHOUT ROWID;
INSERT INTO sso_identities_new (issuer, subject, provider, user_id, email, created_at, last_login_at)
    SELECT 'unknown-before-0010:' || provider, subject, provider, user_id, email, created_at, last_login_at FROM sso_identities;
DROP TABLE sso_identities;
ALTER TABLE sso_identities_new RENAME TO sso_identities;
CREATE INDEX sso_identities_by_user ON sso_identities (user_id);
ALTER TABLE sso_states ADD COLUMN client_ip TEXT;
CREATE INDEX sso_states_by_client ON sso_states (client_ip, expires_at);
