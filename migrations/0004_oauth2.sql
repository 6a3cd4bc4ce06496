-- 0004 OAuth2 provider and the small guild model the bot scope needs.
-- Codes, access and refresh tokens are stored as SHA-256 only. A token family is one grant: the tokens of one
-- code redemption and of every refresh after it; replaying a used code or refresh token revokes the family.

ALTER TABLE applications ADD COLUMN public_client INTEGER NOT NULL DEFAULT 0;  -- no secret: PKCE required

CREATE TABLE guilds (
    id         INTEGER PRIMARY KEY,                                    -- snowflake
    name       TEXT    NOT NULL,
    icon       TEXT,
    owner_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);

CREATE TABLE guild_members (
    guild_id    INTEGER NOT NULL REFERENCES guilds (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    permissions INTEGER NOT NULL DEFAULT 0,                            -- permission bits (MANAGE_GUILD = 1 << 5)
    join_source TEXT,
    joined_at   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) WITHOUT ROWID;
CREATE INDEX guild_members_by_user ON guild_members (user_id);

-- What a user has consented to for an application (for prompt=none and the authorizations list).
CREATE TABLE oauth2_authorizations (
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes         TEXT    NOT NULL,                                   -- space-separated, canonical order
    authorized_at  INTEGER NOT NULL,
    PRIMARY KEY (application_id, user_id)
) WITHOUT ROWID;

CREATE TABLE oauth2_codes (
    code_hash      BLOB    PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT    NOT NULL,
    redirect_given INTEGER NOT NULL,                                   -- whether the request named it (RFC 6749 §4.1.3)
    scopes         TEXT    NOT NULL,
    code_challenge TEXT,                                               -- S256 challenge, if any
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER,                                            -- kept after use to detect replay
    family_id      INTEGER                                             -- the grant its redemption created
) WITHOUT ROWID;

CREATE TABLE oauth2_families (
    id             INTEGER PRIMARY KEY,                                -- snowflake
    application_id INTEGER NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scopes         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    revoke_reason  TEXT
);
CREATE INDEX oauth2_families_by_user ON oauth2_families (user_id, application_id);

CREATE TABLE oauth2_tokens (
    token_hash     BLOB    PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('access', 'refresh')),
    family_id      INTEGER NOT NULL REFERENCES oauth2_families (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    scopes         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER                                             -- refresh tokens: rotated (single use)
) WITHOUT ROWID;
CREATE INDEX oauth2_tokens_by_family ON oauth2_tokens (family_id, kind);  -- rotation deletes a family's access tokens
