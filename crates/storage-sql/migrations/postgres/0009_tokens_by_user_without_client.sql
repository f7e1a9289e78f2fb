-- `tokens_by_user` ended in `client_id`, so a statement that names the
-- tenant and the client besides the primary key (the refresh rotation's
-- `UPDATE … WHERE tenant_id = $1 AND token_hash = $2 AND client_id = $4`)
-- matched two of its columns as well as both of the primary key's. On a
-- fresh PostgreSQL table (no statistics yet) the cached generic plan took
-- this index and read every token of the tenant and client for each
-- rotation. Revoking a user's tokens (the index's purpose) filters on the
-- client after the user, whose tokens are few.
DROP INDEX tokens_by_user;
CREATE INDEX tokens_by_user ON tokens (tenant_id, user_id);
