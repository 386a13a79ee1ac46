-- The newest alert-carrying event of each (experiment, rule), to rebuild the open alerts after a restart.
SELECT argMax(body, ord) AS latest
FROM notify_outbox FINAL
WHERE JSONExtractString(body, 'alert', 'rule') != ''
GROUP BY experiment_id, JSONExtractString(body, 'alert', 'rule')
