-- engine-settings: max_block_size = 8192
-- Small blocks: a unit's row expands to hundreds of rows in the ARRAY JOINs.
-- Everything unit-level one run of the interference job needs, for every candidate pair at
-- once, in one pass over the events of the pairs' experiments:
--   metric = ''  : the cross-tab of A's by B's variants over the units both saw (n = units),
--                  the input of the assignment-independence chi-square;
--   metric = m   : the cells of metric m (as measured in A) per variant of A × variant of B:
--                  unit-level n, sum x, sum x^2 (x = the unit's sum, or sum / events for a mean).
-- A unit seen in two variants of one experiment (misrouted) has no one cell and is left out:
-- on B's side and in the cross-tab over all of the experiment's metrics, on A's side of
-- metric m over A's rows of m. The rows equal those of the earlier query, a hash join of A's
-- unit rows to B's on (experiment, unit) (kept as test/fixtures/sql-oracle/interference-cells.sql;
-- test/integration/interference-cells-oracle.test.ts compares them).
--
-- Why this shape: every shared unit counts in every pair it is in, so per-pair rows are
-- O(pairs × units) (3.7 billion join rows at 50 experiments × 1M units). Here each unit is
-- grouped once (its events as small integer codes), and the B side is cut into groups of g
-- experiments whose variants form one base-W number, the group's signature. A unit then adds
-- one row per (A row, B group) instead of per (A row, B), and for the cross-tab one per
-- (A group, B group): units with the same signatures add up to one key before the expansion
-- to pairs (a Gram matrix by signature). g is as large as keeps W^g ≤ 256 (W = variants + 1).
--
-- Parameters (services/interference-read.ts cellParams):
-- {experiments:Array(String)} the pairs' experiments in id order; experiment index = position;
-- {metrics:Array(String)} the shared metrics' names; metric index = position;
-- {measureOf:Array(UInt32)} [(e-1)*M + m]: the measure index k of (experiment e, metric m), 0 if none;
--   measures are E+1..K (1..E are the experiments' cross-tabs, x = 0);
-- {sumMeasure:Array(UInt8)} [k]: 1 when measure k's metric is summed per unit, 0 for a mean;
-- {cellOf:Array(UInt32)} [(k-1)*E + b]: the wanted cell (1-based into cells) of measure k × experiment b, 0 if none;
-- {cells:Array(Tuple(String,String,String))} (A, B, metric) wanted, metric '' for the cross-tab.
WITH
    {experiments:Array(String)} AS exps,
    length(exps) AS E,
    length({metrics:Array(String)}) AS M,
    -- Variants as they are in the data (unknown ones too: they count as a variant, as before).
    (SELECT arraySort(groupUniqArray(toString(variant))) FROM events WHERE experiment_id IN {experiments:Array(String)}) AS names,
    toUInt64(length(names) + 1) AS W,
    toUInt64(multiIf(W <= 3, 5, W <= 4, 4, W <= 6, 3, W <= 16, 2, 1)) AS g,
    arrayMap(t -> toUInt64(pow(W, t)), range(g + 1)) AS pw,
    pw[g + 1] AS S,
    intDiv(E + g - 1, g) AS G
SELECT
    tupleElement({cells:Array(Tuple(String,String,String))}[slot], 1) AS experiment_a,
    tupleElement({cells:Array(Tuple(String,String,String))}[slot], 2) AS experiment_b,
    tupleElement({cells:Array(Tuple(String,String,String))}[slot], 3) AS metric,
    names[va] AS variant_a,
    names[vb] AS variant_b,
    toUInt64(sum(n)) AS n,
    sum(sx) AS sum,
    sum(sx2) AS sum_squares
FROM
(
    -- A key to its pairs: a cross-tab key (aid = A group + 1, av = A group's signature) to the
    -- g × g experiments of the two groups; a metric key (aid = G + measure, av = A's variant) to
    -- the g experiments of the B group. The digit of an experiment is its variant (0: none).
    SELECT
        n, sx, sx2,
        intDiv(key, S * G * S) AS aid,
        intDiv(key, G * S) % S AS av,
        intDiv(key, S) % G AS j,
        key % S AS sb,
        arrayJoin(range(if(aid <= G, g * g, g))) AS t,
        intDiv(t, g) AS t1,
        t % g AS t2,
        if(aid <= G, (aid - 1) * g + t1 + 1, aid - G + E) AS k,
        if(aid <= G, intDiv(av, pw[t1 + 1]) % W, av) AS va,
        j * g + t2 + 1 AS eb,
        intDiv(sb, pw[t2 + 1]) % W AS vb,
        if(eb <= E AND (aid > G OR k <= E), {cellOf:Array(UInt32)}[(k - 1) * E + eb], 0) AS slot
    FROM
    (
        SELECT key, count() AS n, sum(x) AS sx, sum(x * x) AS sx2
        FROM
        (
            SELECT x, arrayMap((jj, s) -> ((aid * S + av) * G + jj) * S + s, bg, bs) AS keys
            FROM
            (
                SELECT
                    -- The unit's (experiment, metric, variant) codes, each once, with event count and value sum.
                    arraySort(codes) AS sc,
                    arraySort((x, c) -> c, vals, codes) AS sv,
                    arrayMap((c, p) -> c != p, sc, arrayPopBack(arrayPushFront(sc, 0))) AS st,
                    arrayFilter((i, s) -> s, arrayEnumerate(sc), st) AS starts,
                    arrayMap((a, b) -> toUInt64(b - a), starts, arrayPopFront(arrayPushBack(starts, length(sc) + 1))) AS cnt,
                    arrayFilter((c, s) -> s, sc, st) AS dc,
                    arrayReduceInRanges('sum', arrayZip(starts, cnt), sv) AS tot,
                    -- B side: the experiments the unit saw in one variant (over all their metrics), as e*W + v, by e.
                    arrayDistinct(arrayMap(c -> intDiv(c, (M + 1) * W) * W + c % W, dc)) AS evc,
                    arrayMap(c -> intDiv(c, W), evc) AS eve,
                    arrayFilter((c, x, p, q) -> x != p AND x != q, evc, eve, arrayPopBack(arrayPushFront(eve, 0)), arrayPopFront(arrayPushBack(eve, 0))) AS ev,
                    -- Their groups of g and each group's signature (sum of v * W^(position in group)).
                    arrayMap(c -> toInt64(intDiv(intDiv(c, W) - 1, g)), ev) AS gj,
                    arrayCumSum(arrayMap(c -> (c % W) * pw[(intDiv(c, W) - 1) % g + 1], ev)) AS cs,
                    arrayMap((a, b) -> a != b, gj, arrayPopFront(arrayPushBack(gj, -1))) AS gend,
                    arrayMap(x -> toUInt64(x), arrayFilter((x, f) -> f, gj, gend)) AS bg,
                    arrayFilter((x, f) -> f, cs, gend) AS bcs,
                    arrayMap((a, b) -> toUInt64(a - b), bcs, arrayPopBack(arrayPushFront(bcs, 0))) AS bs,
                    -- A side of the metrics: (experiment, metric) seen in one variant, when it is a measure.
                    arrayMap(c -> intDiv(c, W), dc) AS em,
                    arrayMap((c, x, p, q) -> if(x != p AND x != q AND x % (M + 1) > 0, {measureOf:Array(UInt32)}[(intDiv(x, M + 1) - 1) * M + x % (M + 1)], 0), dc, em, arrayPopBack(arrayPushFront(em, 0)), arrayPopFront(arrayPushBack(em, 0))) AS mkAll,
                    arrayFilter(k -> k > 0, mkAll) AS mk,
                    arrayFilter((c, k) -> k > 0, dc, mkAll) AS mc,
                    arrayFilter((t, k) -> k > 0, tot, mkAll) AS mt,
                    arrayFilter((n, k) -> k > 0, cnt, mkAll) AS mn,
                    -- A rows: one per B group (cross-tab, x = 0), one per measure (x = sum or mean).
                    arrayConcat(arrayMap(jj -> jj + 1, bg), arrayMap(k -> toUInt64(G + k - E), mk)) AS aids,
                    arrayConcat(bs, arrayMap(c -> c % W, mc)) AS avs,
                    arrayConcat(arrayMap(jj -> toFloat64(0), bg), arrayMap((k, t, n) -> if({sumMeasure:Array(UInt8)}[k] = 1, t, t / n), mk, mt, mn)) AS axs
                FROM
                (
                    SELECT unit_id, groupArray(code) AS codes, groupArray(value) AS vals
                    FROM
                    (
                        SELECT
                            unit_id,
                            ((toUInt64(indexOf(exps, experiment_id)) * (M + 1)) + indexOf({metrics:Array(String)}, metric)) * W + indexOf(names, variant) AS code,
                            value
                        FROM events
                        WHERE experiment_id IN {experiments:Array(String)}
                    )
                    GROUP BY unit_id
                )
            )
            ARRAY JOIN aids AS aid, avs AS av, axs AS x
        )
        ARRAY JOIN keys AS key
        GROUP BY key
    )
    WHERE slot > 0 AND va > 0 AND vb > 0
)
GROUP BY slot, va, vb
ORDER BY experiment_a, experiment_b, metric, variant_a, variant_b
