-- Every API token's newest version, oldest first (hashes are not read). No parameters.
SELECT id, version, name, role, namespace, '' AS hash, toUnixTimestamp64Milli(created_at) AS created_ms, created_by,
       toUnixTimestamp64Milli(revoked_at) AS revoked_ms, revoked_by
FROM api_tokens FINAL
ORDER BY created_at, id
