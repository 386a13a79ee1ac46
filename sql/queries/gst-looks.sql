-- Information fractions at which group-sequential looks were spent, per experiment, in order.
-- No parameters.
SELECT experiment_id, groupArray(gst_fraction) AS fractions
FROM (SELECT experiment_id, seq, gst_fraction FROM verdicts WHERE gst_fraction IS NOT NULL ORDER BY experiment_id, seq)
GROUP BY experiment_id
