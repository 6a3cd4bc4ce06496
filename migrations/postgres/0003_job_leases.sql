-- 0003 (SQLite 0013) issue 13: background work that several nodes on one database must not run twice (maintenance
-- sweeps, audit pruning) takes a named lease first. A node runs the job only while it holds the lease; an expired
-- lease (its holder died or fell behind) is taken over by the next node that asks. See JobLease.swift.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT   NOT NULL,                   -- random token of the process that holds it
    expires_at BIGINT NOT NULL                    -- unix ms; held while expires_at > now
);
