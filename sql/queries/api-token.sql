-- One API token's newest version. Parameters: {id:String}.
SELECT id, version, name, role, namespace, hash, toUnixTimestamp64Milli(created_at) AS created_ms, created_by,
       toUnixTimestamp64Milli(revoked_at) AS revoked_ms, revoked_by
FROM api_tokens FINAL
WHERE id = {id:String}
