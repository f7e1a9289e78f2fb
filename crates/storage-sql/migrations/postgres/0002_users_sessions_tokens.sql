-- Users, SSO sessions, issued tokens and login transactions (PostgreSQL flavour,
-- kept CockroachDB-compatible).
-- As in 0001, each record is kept whole as JSON in `data`; the other columns
-- exist for keys, uniqueness, filters, ordering and expiry sweeps. Keys and
-- ordered columns use the "C" collation, as in 0001.

-- `email_lower` and `username_lower` hold `User::normalize_login` of the
-- user's email and username (computed in Rust), NULL when the user has none;
-- NULLs never collide in a UNIQUE constraint.
CREATE TABLE users (
    tenant_id       TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    data            TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    connection_id   TEXT COLLATE "C" NOT NULL,
    email_lower     TEXT,
    username_lower  TEXT,
    created_at      BIGINT  NOT NULL,
    last_login      BIGINT,
    logins_count    BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, user_id),
    UNIQUE (tenant_id, connection_id, email_lower),
    UNIQUE (tenant_id, connection_id, username_lower)
);
CREATE INDEX users_by_email ON users (tenant_id, email_lower);

CREATE TABLE sessions (
    tenant_id       TEXT COLLATE "C" NOT NULL,
    id_hash         TEXT COLLATE "C" NOT NULL,
    data            TEXT    NOT NULL,
    version         BIGINT  NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    expires_at      BIGINT  NOT NULL,
    last_active_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id_hash)
);
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- `used_at` and `revoked_at` live only in their columns (the JSON in `data`
-- always has them null); reads lay the columns over the decoded record.
CREATE TABLE tokens (
    tenant_id          TEXT COLLATE "C" NOT NULL,
    token_hash         TEXT COLLATE "C" NOT NULL,
    data               TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    family_id          TEXT COLLATE "C" NOT NULL,
    user_id            TEXT COLLATE "C" NOT NULL,
    client_id          TEXT COLLATE "C" NOT NULL,
    expires_at         BIGINT  NOT NULL,
    family_expires_at  BIGINT  NOT NULL,
    used_at            BIGINT,
    revoked_at         BIGINT,
    PRIMARY KEY (tenant_id, token_hash)
);
CREATE INDEX tokens_by_family ON tokens (tenant_id, family_id);
CREATE INDEX tokens_by_user ON tokens (tenant_id, user_id, client_id);
CREATE INDEX tokens_by_expiry ON tokens (expires_at);

CREATE TABLE transactions (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    data        TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX transactions_by_expiry ON transactions (expires_at);
