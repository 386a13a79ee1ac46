-- Control-arm means of one metric per time bucket for two experiments, over the buckets both
-- have events in (the baseline-correlation series). Event-level means per bucket, from events.
-- Parameters: {a:String}, {controlA:String}, {b:String}, {controlB:String}, {metric:String},
-- {bucketSeconds:UInt32}, {from:DateTime64(3)}.
SELECT
    bucket,
    mean_a,
    mean_b
FROM
(
    SELECT toStartOfInterval(ts, toIntervalSecond({bucketSeconds:UInt32})) AS bucket, avg(value) AS mean_a
    FROM events
    WHERE experiment_id = {a:String} AND variant = {controlA:String} AND metric = {metric:String} AND ts >= {from:DateTime64(3)}
    GROUP BY bucket
) AS sa
INNER JOIN
(
    SELECT toStartOfInterval(ts, toIntervalSecond({bucketSeconds:UInt32})) AS bucket, avg(value) AS mean_b
    FROM events
    WHERE experiment_id = {b:String} AND variant = {controlB:String} AND metric = {metric:String} AND ts >= {from:DateTime64(3)}
    GROUP BY bucket
) AS sb USING (bucket)
ORDER BY bucket
