-- Control-arm sums and counts of each (experiment, metric) per time bucket, for every
-- experiment of a candidate pair at once (the baseline-correlation series). A pair's series
-- starts at its later start, which may fall inside a bucket: rows are split at every such
-- start (segment = how many of the sorted starts are <= ts), so the job adds up, per pair and
-- bucket, exactly the events at or after the pair's start, then pairs the two series in memory
-- over the buckets both have (the per-pair query's avg(value) over ts >= start).
-- Parameters: {series:Array(Tuple(String,String,String))} (experiment, control variant, metric);
-- {starts:Array(DateTime64(3))} the pairs' later starts, sorted; {bucketSeconds:UInt32}.
SELECT
    experiment_id,
    metric,
    toStartOfInterval(ts, toIntervalSecond({bucketSeconds:UInt32})) AS bucket,
    arrayCount(s -> s <= ts, {starts:Array(DateTime64(3))}) AS segment,
    sum(value)                                                 AS sum,
    toUInt64(count())                                          AS n
FROM events
WHERE (experiment_id, variant, metric) IN {series:Array(Tuple(String,String,String))}
  AND ts >= {starts:Array(DateTime64(3))}[1]
GROUP BY experiment_id, metric, bucket, segment
ORDER BY experiment_id, metric, bucket, segment
