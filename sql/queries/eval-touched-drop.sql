-- Drops the cycle's touched table (eval-touched-create.sql). Parameters: {touched:Identifier}.
DROP TABLE IF EXISTS {touched:Identifier}
