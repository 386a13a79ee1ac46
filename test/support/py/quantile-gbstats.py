"""Reference for quantile comparisons: the SQL inputs recomputed from raw events with numpy
(inverted-CDF order statistics, per-unit counts via numpy.bincount), then GrowthBook gbstats 0.8.0
QuantileStatistic (one event per unit) or QuantileClusteredStatistic (several) in TwoSidedTTest."""
import numpy as np
from scipy.stats import norm
from gbstats.frequentist.tests import FrequentistConfig, TwoSidedTTest
from gbstats.models.statistics import QuantileClusteredStatistic, QuantileStatistic

from _common import run


def inputs(values, units, nu):
    v = np.asarray(values, dtype=float)
    u = np.asarray(units, dtype=int)
    n = len(v)
    z = norm.ppf(0.975)
    h = z * np.sqrt(nu * (1 - nu) / n)
    q = lambda p: float(np.quantile(v, p, method="inverted_cdf"))
    qhat = q(nu)
    e = np.bincount(u)
    b = np.bincount(u, weights=(v <= qhat).astype(float), minlength=len(e))
    keep = e > 0
    e, b = e[keep].astype(float), b[keep]
    return {"events": n, "units": int(keep.sum()), "quantile": qhat, "lower": q(nu - h), "upper": q(nu + h),
            "belowSum": float(b.sum()), "belowSumSquares": float((b * b).sum()), "eventsSum": float(e.sum()),
            "eventsSumSquares": float((e * e).sum()), "belowEventsCrossSum": float((b * e).sum())}


def stat(s, nu, clustered):
    common = dict(n=s["events"], n_star=s["events"], nu=nu, quantile_hat=s["quantile"],
                  quantile_lower=s["lower"], quantile_upper=s["upper"])
    if not clustered:
        return QuantileStatistic(**common)
    return QuantileClusteredStatistic(**common, main_sum=s["belowSum"], main_sum_squares=s["belowSumSquares"],
                                      denominator_sum=s["eventsSum"], denominator_sum_squares=s["eventsSumSquares"],
                                      main_denominator_sum_product=s["belowEventsCrossSum"], n_clusters=s["units"])


def handle(c):
    nu = c["level"]
    ins = [inputs(a["values"], a["units"], nu) for a in (c["control"], c["treatment"])]
    a, b = (stat(s, nu, c["clustered"]) for s in ins)
    t = TwoSidedTTest(a, b, FrequentistConfig(alpha=c["alpha"], difference_type="relative" if c["relative"] else "absolute"))
    r = t.compute_result()
    return {"inputs": ins, "armVariance": [a.variance / a.n, b.variance / b.n], "effect": r.expected,
            "se": r.uplift.stddev, "ci": list(r.ci), "p": r.p_value, "error": r.error_message}


run(handle)
