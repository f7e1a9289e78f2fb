-- Searchable columns of tenant log events (`GET /api/v2/logs?q=type:fp`,
-- `user_id:…`): the fields support staff search by, copied out of the JSON
-- `data` so one statement set filters them on both backends.
ALTER TABLE log_events ADD COLUMN event_type TEXT;
ALTER TABLE log_events ADD COLUMN user_id TEXT;
ALTER TABLE log_events ADD COLUMN client_id TEXT;
ALTER TABLE log_events ADD COLUMN connection TEXT;
ALTER TABLE log_events ADD COLUMN ip TEXT;
ALTER TABLE log_events ADD COLUMN user_name TEXT;
UPDATE log_events SET
    event_type = json_extract(data, '$.type'),
    user_id    = json_extract(data, '$.user_id'),
    client_id  = json_extract(data, '$.client_id'),
    connection = json_extract(data, '$.connection'),
    ip         = json_extract(data, '$.ip'),
    user_name  = json_extract(data, '$.user_name');
-- The two searches support staff run most: by type and by user.
CREATE INDEX log_events_by_type ON log_events (tenant_id, event_type, date);
CREATE INDEX log_events_by_user ON log_events (tenant_id, user_id, date);
