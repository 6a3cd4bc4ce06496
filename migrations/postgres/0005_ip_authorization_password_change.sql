-- 0005 (SQLite 0015) issue 15: authorized networks (HMAC of user id and address, never the address), pending IP
-- authorizations (SHA-256 of ticket and emailed token) and password changes in progress (keyed hash of the emailed
-- code, SHA-256 of the proof). See the SQLite migration for the details.
CREATE TABLE authorized_ips (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_key     BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, ip_key)
);
CREATE TABLE ip_authorizations (
    ticket_hash       BYTEA   PRIMARY KEY,
    token_hash        BYTEA   UNIQUE,
    user_id           BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip_key            BYTEA   NOT NULL,
    client_ip         TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    ticket_expires_at BIGINT  NOT NULL,
    resent            BOOLEAN NOT NULL DEFAULT FALSE,
    authorized_at     BIGINT,
    expires_at        BIGINT  NOT NULL
);
CREATE INDEX ip_authorizations_by_user ON ip_authorizations (user_id);
CREATE INDEX ip_authorizations_by_expiry ON ip_authorizations (expires_at);
CREATE TABLE password_change_tickets (
    ticket_hash     BYTEA   PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'verified', 'completed')),
    code_hash       BYTEA,
    code_sent_at    BIGINT  NOT NULL,
    code_expires_at BIGINT  NOT NULL,
    code_failures   INTEGER NOT NULL DEFAULT 0,
    proof_hash      BYTEA,
    created_at      BIGINT  NOT NULL,
    expires_at      BIGINT  NOT NULL
);
CREATE INDEX password_change_tickets_by_user ON password_change_tickets (user_id);
CREATE INDEX password_change_tickets_by_expiry ON password_change_tickets (expires_at);
