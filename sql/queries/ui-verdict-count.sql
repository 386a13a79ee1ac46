-- How many verdicts an experiment has, and its newest sequence number: the verdict
-- series route picks its stride from it. Parameters: {experiment:String}.
SELECT toUInt64(count()) AS n, max(seq) AS last_seq
FROM verdicts
WHERE experiment_id = {experiment:String}
