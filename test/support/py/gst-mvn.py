"""Independent group-sequential boundaries: each Lan–DeMets boundary c_k is solved with
brentq so that the exit probability computed from the multivariate normal CDF
(scipy.stats.multivariate_normal.cdf, Genz's algorithm; corr(Z_i, Z_j) = √(t_i/t_j))
equals α(t_k) − α(t_{k−1}). A different method from the recursive integration in src/stats."""
import math

import numpy as np
from scipy import optimize, stats

from _common import run


def spend(t, alpha, s):
    if t >= 1:
        return alpha
    if s == "obf":
        return 2 * stats.norm.sf(stats.norm.isf(alpha / 2) / math.sqrt(t))
    if s == "pocock":
        return alpha * math.log(1 + (math.e - 1) * t)
    return alpha * t ** s["power"]


def box(cs, ts, two):
    k = len(cs)
    if k == 0:
        return 1.0
    cov = np.array([[math.sqrt(min(ts[i], ts[j]) / max(ts[i], ts[j])) for j in range(k)] for i in range(k)])
    upper = np.array(cs)
    lower = -upper if two else np.full(k, -np.inf)
    if k == 1:
        return stats.norm.cdf(upper[0]) - (stats.norm.cdf(lower[0]) if two else 0.0)
    return float(stats.multivariate_normal.cdf(upper, mean=np.zeros(k), cov=cov, lower_limit=lower,
                                               abseps=1e-6, releps=0, maxpts=50_000 * k))


def handle(c):
    ts, alpha, s, two = c["t"], c["alpha"], c["spending"], c["sided"] == "two"
    cs = []
    prev = 0.0
    # Two-sided: α/2 per side through the spending function (gsDesign/ldbounds convention).
    tails = 2 if two else 1
    side = alpha / tails
    for k, t in enumerate(ts):
        target = tails * (spend(t, side, s) - prev)
        cont = box(cs, ts[:k], two)
        f = lambda x: (cont - box(cs + [x], ts[: k + 1], two)) - target
        c_k = optimize.brentq(f, 0.5, 12, xtol=1e-6)
        cs.append(c_k)
        prev = spend(t, side, s)
    return {"boundaries": cs}


run(handle)
