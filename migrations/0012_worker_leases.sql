-- 0012 issue 13: snowflake worker ids are leased from the database, one per process (server or CLI command), never
-- configured: two processes on one database can never mint the same id. One row per 10-bit worker id, all 1024
-- created here; a process takes a free or expired row in one write transaction, renews it on a heartbeat and frees
-- it on a clean exit (see WorkerLease.swift).
CREATE TABLE worker_leases (
    worker_id  INTEGER PRIMARY KEY CHECK (worker_id BETWEEN 0 AND 1023),
    holder     TEXT,                           -- random token of the process holding it; NULL: free
    pid        INTEGER,                        -- holder info, for operators: which process, where, since when
    hostname   TEXT,
    started_at INTEGER,                        -- unix ms
    renewed_at INTEGER,                        -- unix ms, last heartbeat
    expires_at INTEGER NOT NULL DEFAULT 0,     -- unix ms; held while expires_at > now, reclaimable after
    -- Every id minted under this worker id so far has a timestamp <= floor_ms (unix ms): the next holder mints
    -- strictly above it, so successive holders never collide even if their clocks disagree.
    floor_ms   INTEGER NOT NULL DEFAULT 0
);
WITH RECURSIVE ids(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM ids WHERE n < 1023)
INSERT INTO worker_leases (worker_id) SELECT n FROM ids;
