-- Migrations already applied. No parameters.
SELECT name, checksum FROM runway_migrations FINAL ORDER BY name
