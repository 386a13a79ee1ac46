-- A refusal entry (a refused start, a held ramp: from = to) stores what held the experiment,
-- the record's blockedBy as JSON (rule, path, message), so a rebuild after a restart restores
-- blockedBy as the live path set it; the reason text alone loses the paths. Other entries and
-- rows stored before this column keep '' and hash as before (hashed only when set).
ALTER TABLE lifecycle ADD COLUMN IF NOT EXISTS blocked_by String DEFAULT '';
