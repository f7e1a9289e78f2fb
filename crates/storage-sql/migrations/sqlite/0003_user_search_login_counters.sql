-- User search and failed-login counters (SQLite flavour).

-- Search columns: `email_search` and `name_search` hold `User::normalize_login`
-- of the email and name (computed in Rust; the backfill below uses SQL's
-- lower(), which only folds ASCII, until the user's next write). Byte-order
-- comparison makes prefix ranges (`jo*`) index scans.
ALTER TABLE users ADD COLUMN email_search TEXT;
ALTER TABLE users ADD COLUMN name_search TEXT;
UPDATE users SET email_search = email_lower,
                 name_search = lower(trim(json_extract(data, '$.name')));

CREATE INDEX users_search_email ON users (tenant_id, email_search, user_id);
CREATE INDEX users_search_name ON users (tenant_id, name_search, user_id);
CREATE INDEX users_search_username ON users (tenant_id, username_lower, user_id);
CREATE INDEX users_by_created_at ON users (tenant_id, created_at, user_id);
CREATE INDEX users_by_last_login ON users (tenant_id, last_login, user_id);
CREATE INDEX users_by_logins_count ON users (tenant_id, logins_count, user_id);

-- One row per counter: `kind` is `identifier_ip` (brute force: one login
-- identifier from one IP, per connection) or `ip` (throttling: one IP across
-- identifiers; empty connection and subject). Increments are single upserts.
CREATE TABLE login_counters (
    tenant_id      TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    connection_id  TEXT    NOT NULL,
    ip             TEXT    NOT NULL,
    failures       BIGINT  NOT NULL,
    window_start   BIGINT  NOT NULL,
    last_failure   BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, kind, subject, connection_id, ip)
);
CREATE INDEX login_counters_by_expiry ON login_counters (expires_at);
