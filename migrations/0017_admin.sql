-- 0017 issue 16: the operator's admin CLI (`fluxer-auth user|app|sessions|keys …`).
-- An operator's suspension (`user disable`): while set, the account cannot sign in (403
-- ACCOUNT_SUSPENDED_PERMANENTLY) and no credential of it is accepted; `user enable` clears it.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
-- Who acted: NULL for the request's caller or the server itself, 'cli' for an operator's command.
ALTER TABLE audit_events ADD COLUMN actor TEXT;
-- Bot-token HMAC keys (`keys rotate`, `keys retire`). A 'database' key's secret is 32 random bytes sealed with a
-- key derived from the server secret; it verifies at once on every node that reread the table and signs new tokens
-- once it is old enough that every node has. `retired_at` set: the key no longer verifies (its secret is dropped).
-- A 'config' row is the retirement of a key from security.bot_token_keys (or the one derived from the secret):
-- it applies to the configured key with that id and fingerprint only. `fingerprint` is HMAC-SHA256 of a fixed
-- label under the key's secret: it names a key without revealing it.
CREATE TABLE bot_token_keys (
    kid           INTEGER PRIMARY KEY NOT NULL CHECK (kid BETWEEN 0 AND 255),
    source        TEXT    NOT NULL CHECK (source IN ('config', 'database')),
    secret_sealed BLOB,
    fingerprint   BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    retired_at    INTEGER
);
-- Cache invalidations for processes sharing one SQLite file: each write that revokes credentials adds its
-- invalidations here in the same transaction, and every process polls the table (PostgreSQL nodes use
-- LISTEN/NOTIFY instead and leave it empty). Pruned by the maintenance sweep.
CREATE TABLE cache_invalidations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    payload    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX cache_invalidations_by_time ON cache_invalidations (created_at);
