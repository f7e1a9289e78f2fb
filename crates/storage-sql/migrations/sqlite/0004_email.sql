-- Email: provider and templates per tenant, the delivery outbox, and tenant
-- log events (SQLite flavour).

-- One provider per tenant; its SMTP password is sealed inside `data`.
CREATE TABLE email_providers (
    tenant_id  TEXT NOT NULL PRIMARY KEY,
    data       TEXT NOT NULL
);

CREATE TABLE email_templates (
    tenant_id  TEXT NOT NULL,
    template   TEXT NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, template)
);

-- Messages waiting for delivery. A worker claims due rows by moving
-- `next_attempt_at` forward (its lease) with a compare-and-set on the old
-- value, so each attempt goes to one node; delivered rows are deleted.
CREATE TABLE email_outbox (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    data             TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at);

-- Auth0-shaped tenant log events (`GET /api/v2/logs`).
CREATE TABLE log_events (
    tenant_id  TEXT NOT NULL,
    log_id     TEXT NOT NULL,
    date       BIGINT NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, log_id)
);
CREATE INDEX log_events_by_date ON log_events (tenant_id, date, log_id);
CREATE INDEX log_events_expiry ON log_events (date);
