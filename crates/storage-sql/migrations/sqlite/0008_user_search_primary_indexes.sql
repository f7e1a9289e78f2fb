-- Searches see only primary users (`linked_to IS NULL`). Indexes on the
-- numeric search fields that hold only those rows let a wide range
-- (`logins_count:[10 TO 12]` over a million users) be filtered, counted and
-- ordered by id from the index alone, without reading each row to check
-- `linked_to`.
DROP INDEX users_by_created_at;
DROP INDEX users_by_last_login;
DROP INDEX users_by_logins_count;
CREATE INDEX users_by_created_at ON users (tenant_id, created_at, user_id) WHERE linked_to IS NULL;
CREATE INDEX users_by_last_login ON users (tenant_id, last_login, user_id) WHERE linked_to IS NULL;
CREATE INDEX users_by_logins_count ON users (tenant_id, logins_count, user_id) WHERE linked_to IS NULL;
