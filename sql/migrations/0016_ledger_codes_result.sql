-- Ledger entries carry the reason codes of the verdict behind each move and, when an
-- experiment ends, its result (shipped, no-effect-detected, regressed, stopped), so the
-- timeline, the API and a rebuild from the ledger all show them. Older rows keep the
-- defaults and hash as before (codes and result are hashed only when set).
ALTER TABLE lifecycle ADD COLUMN IF NOT EXISTS codes Array(String) DEFAULT [];
ALTER TABLE lifecycle ADD COLUMN IF NOT EXISTS result String DEFAULT '';
