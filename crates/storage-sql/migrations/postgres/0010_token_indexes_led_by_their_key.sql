-- The tokens table's secondary indexes lead with the user and the family,
-- not the tenant. While a table has no planner statistics (a new database,
-- the minute before autovacuum's first ANALYZE, or a server with autovacuum
-- off), PostgreSQL expects one row from any index scan on it, so an index
-- led by `tenant_id` alone costs the same as the primary key for a lookup by
-- (tenant_id, token_hash), and the planner took the newest such index,
-- `tokens_by_user`. A pooled connection caches that plan (a generic plan,
-- after five executions) and kept it while the table grew: every refresh
-- and every token lookup then read each token of the tenant. On a fresh
-- database under refresh rotation that was 3,800 rotations/s instead of
-- 7,300, with a p99 of 30 ms instead of 5. Led by their own key, these
-- indexes serve only statements that name a user or a family, which is all
-- they are for. SQLite's planner prefers the unique index whose columns are
-- all bound, so its schema is unchanged.
DROP INDEX tokens_by_user;
CREATE INDEX tokens_by_user ON tokens (user_id, tenant_id);
DROP INDEX tokens_by_family;
CREATE INDEX tokens_by_family ON tokens (family_id, tenant_id);
