-- 0011 issue 12 (SSO linking, per-client caps, WA-06).
-- A sign-in started by a signed-in user (with sudo) to link the provider account to theirs: the first link of an
-- identity to an existing account needs a local sign-in, never an email match alone. Only that user can finish it.
ALTER TABLE sso_states ADD COLUMN link_user_id INTEGER;
-- Passkey challenges are issued without authentication: each records its client (IPv4 address, IPv6 /64) so one
-- client cannot hold the whole table.
ALTER TABLE webauthn_challenges ADD COLUMN client_key TEXT;
CREATE INDEX webauthn_challenges_by_client ON webauthn_challenges (client_key, expires_at);
-- WA-06: the backup-eligible (BE) flag seen at registration; an assertion whose BE differs is refused. NULL: the
-- credential was registered before this column, and the next accepted assertion records it.
ALTER TABLE webauthn_credentials ADD COLUMN backup_eligible INTEGER CHECK (backup_eligible IN (0, 1));
