-- Highest verdict sequence per experiment, to resume numbering after a restart. No parameters.
SELECT experiment_id, max(seq) AS seq FROM verdicts GROUP BY experiment_id
