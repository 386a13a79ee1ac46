-- Whether any of the pairs' experiments has an event at all (interference-read.ts). When none has,
-- interference-cells.sql returns no rows (its every row comes from these experiments' events), and
-- planning that query alone costs ~0.5 s on this machine (it is one large expression tree), so
-- the run skips it. Parameters: {experiments:Array(String)}.
SELECT 1 AS any_event FROM events WHERE experiment_id IN {experiments:Array(String)} LIMIT 1
