-- Every incident, newest version of each alert fingerprint. No parameters.
SELECT fingerprint, version, alertname, service, experiment, status, toUnixTimestamp64Milli(started_at) AS started_ms,
       toUnixTimestamp64Milli(resolved_at) AS resolved_ms, summary, paused
FROM incidents FINAL
ORDER BY started_at DESC
