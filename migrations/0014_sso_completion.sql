-- 0014 issue 14: SSO as the guide shows it, and Sign in with Bluesky.
-- A sign-in started through the API finishes at our own GET /auth/sso/callback, which answers 303 to the web app
-- with a one-time completion code; POST /auth/sso/complete {code} spends it. Stored as SHA-256 of the code (256
-- bits), 60 s, single use (DELETE … RETURNING). `outcome`: 'session' (a session is made when it is spent), 'mfa'
-- (the account's second factor is still due: an MFA ticket is issued then) or 'linked'.
CREATE TABLE sso_completions (
    code_hash   BLOB    PRIMARY KEY NOT NULL,
    provider    TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('session', 'mfa', 'linked')),
    redirect_to TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sso_completions_by_expiry ON sso_completions (expires_at);
-- SHA-256 of the cookie set by /auth/sso/start when a same-site browser page started the sign-in: the callback
-- then finishes it only in that browser (login CSRF). NULL when the start came from elsewhere (curl, another site).
ALTER TABLE sso_states ADD COLUMN callback_binding BLOB;
-- What a sign-in in progress is for: NULL, a sign-in (or an SSO link); 'connection', linking a Bluesky account to
-- the signed-in user who started it (POST /users/@me/connections/bluesky/authorize).
ALTER TABLE sso_states ADD COLUMN purpose TEXT CHECK (purpose IS NULL OR purpose = 'connection');
-- The AT Protocol handle last seen for a DID identity (shown by GET /users/@me/connections; never used to link).
ALTER TABLE sso_identities ADD COLUMN handle TEXT;
-- Our AT Protocol OAuth client's ES256 keys (private_key_jwt, RFC 7523), sealed with the server secret. The newest
-- unretired key signs; every unretired key is published in our JWKS, so a rotation keeps the old one verifiable.
CREATE TABLE atproto_client_keys (
    kid                TEXT    PRIMARY KEY NOT NULL,
    private_key_sealed BLOB    NOT NULL,
    created_at         INTEGER NOT NULL,
    retired_at         INTEGER
) WITHOUT ROWID;
