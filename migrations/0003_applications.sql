-- 0003 applications and bot tokens. The application id is also its bot user's id (users.bot = 1).
-- Client secrets and bot tokens are stored as SHA-256 only; the plaintext is shown once.
CREATE TABLE applications (
    id                       INTEGER PRIMARY KEY,          -- snowflake = bot user id
    owner_id                 INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                     TEXT    NOT NULL,
    description              TEXT,
    icon                     TEXT,
    redirect_uris            TEXT    NOT NULL DEFAULT '[]', -- JSON array of exact redirect URIs
    bot_public               INTEGER NOT NULL DEFAULT 1,
    bot_require_code_grant   INTEGER NOT NULL DEFAULT 0,
    flags                    INTEGER NOT NULL DEFAULT 0,
    client_secret_hash       BLOB    NOT NULL,
    client_secret_created_at INTEGER NOT NULL,
    bot_token_hash           BLOB,                          -- SHA-256 of the whole current token
    bot_token_preview        TEXT,                          -- first characters of the token's random part
    bot_token_created_at     INTEGER,
    created_at               INTEGER NOT NULL,
    FOREIGN KEY (id) REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX applications_by_owner ON applications (owner_id);
