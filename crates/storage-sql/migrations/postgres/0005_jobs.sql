-- Background jobs of the Management API (PostgreSQL flavour).
--
-- `data` holds the job record; `input` (the uploaded import file), `errors`
-- (an import's per-line report) and `output` (an export file) live in their
-- own columns so that polling a job never reads them. `expires_at` is set
-- when a job ends: finished jobs and their files are swept after it.
CREATE TABLE jobs (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    data        TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    status      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT,
    input       TEXT,
    errors      TEXT,
    output      TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_by_status ON jobs (tenant_id, status, created_at);
CREATE INDEX jobs_by_expiry ON jobs (expires_at);

-- Users of one connection in id order: the connection filter of searches
-- and lists, and the paging of exports, without sorting the connection.
CREATE INDEX users_by_connection ON users (tenant_id, connection_id, user_id);
