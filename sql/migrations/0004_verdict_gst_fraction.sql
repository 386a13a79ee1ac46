-- Group-sequential looks spent by a verdict (information fraction), so a restart
-- resumes at the right look.
ALTER TABLE verdicts ADD COLUMN IF NOT EXISTS gst_fraction Nullable(Float64);
