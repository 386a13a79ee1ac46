-- Migrations already applied. No parameters.
SELECT name, checksum FROM runway_migrations ORDER BY name
