-- 0001 foundation: facts about this installation. Feature tables arrive in later, numbered migrations.
-- Migrations are forward-only and never edited once landed: the server refuses a changed checksum.
CREATE TABLE instance (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
