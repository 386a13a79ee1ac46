-- Every comparison behind a verdict (effect, always-valid interval, p-values, units per
-- metric × treatment) and the SRM counts, as JSON: the UI's effect-over-time charts and
-- the verdict history read it (sql/queries/ui-verdict-series.sql). Older rows keep ''.
ALTER TABLE verdicts ADD COLUMN IF NOT EXISTS evidence String DEFAULT '';
