-- Records that only the newest of may live (password-reset links) name
-- whom they are about; storing one removes the older ones of that subject.
ALTER TABLE one_time ADD COLUMN subject TEXT;
CREATE INDEX one_time_by_subject ON one_time (tenant_id, kind, subject)
    WHERE subject IS NOT NULL;
