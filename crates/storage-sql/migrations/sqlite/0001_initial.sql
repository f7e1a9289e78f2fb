-- Vestibule storage, SQLite flavour. Every record is kept whole as JSON in
-- `data`; the other columns exist only for keys, uniqueness, filters and
-- ordering. `version` drives optimistic concurrency of `update_*`.
-- Times are BIGINT unix milliseconds.

CREATE TABLE tenants (
    tenant_id  TEXT    NOT NULL PRIMARY KEY,
    data       TEXT    NOT NULL,
    version    BIGINT  NOT NULL
);

-- A host selects at most one tenant.
CREATE TABLE tenant_hosts (
    host       TEXT    NOT NULL PRIMARY KEY,
    tenant_id  TEXT    NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE
);
CREATE INDEX tenant_hosts_by_tenant ON tenant_hosts (tenant_id);

CREATE TABLE clients (
    tenant_id       TEXT     NOT NULL,
    client_id       TEXT     NOT NULL,
    data            TEXT     NOT NULL,
    version         BIGINT   NOT NULL,
    app_type        TEXT,
    is_first_party  BOOLEAN  NOT NULL,
    PRIMARY KEY (tenant_id, client_id)
);

CREATE TABLE connections (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    name       TEXT    NOT NULL,
    strategy   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);

CREATE TABLE connection_clients (
    tenant_id      TEXT  NOT NULL,
    connection_id  TEXT  NOT NULL,
    client_id      TEXT  NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, client_id),
    FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, client_id) ON DELETE CASCADE
);
CREATE INDEX connection_clients_by_client ON connection_clients (tenant_id, client_id);

CREATE TABLE resource_servers (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    identifier  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, identifier)
);

CREATE TABLE client_grants (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    version    BIGINT  NOT NULL,
    client_id  TEXT    NOT NULL,
    audience   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, client_id, audience)
);
CREATE INDEX client_grants_by_audience ON client_grants (tenant_id, audience);

CREATE TABLE signing_keys (
    tenant_id   TEXT    NOT NULL,
    kid         TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    version     BIGINT  NOT NULL,
    alg         TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, kid)
);
-- One live key per tenant, algorithm and state; revoked keys pile up freely.
CREATE UNIQUE INDEX signing_keys_one_per_state ON signing_keys (tenant_id, alg, state)
    WHERE state IN ('next', 'current', 'previous');

CREATE TABLE one_time (
    tenant_id   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    expires_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, kind, key_hash)
);
CREATE INDEX one_time_by_expiry ON one_time (expires_at);
