-- Account linking. A linked secondary user keeps its row (its password hash
-- and its place in the per-connection login uniqueness stay where they are)
-- and names its primary in `linked_to`; reads of users as such (get, list,
-- search) skip linked rows, logins resolve them to the primary.
ALTER TABLE users ADD COLUMN linked_to TEXT;
CREATE INDEX users_by_linked_to ON users (tenant_id, linked_to);
