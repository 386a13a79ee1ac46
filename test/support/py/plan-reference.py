"""Reference sample sizes for `runway plan` (src/stats/plan.ts), per control arm:
  fixed:   statsmodels NormalIndPower.solve_power with effect size δ/σ.
  gst:     the drift η at which the design rejects with the target probability, from the
           multivariate normal CDF (scipy, Genz; corr(Z_i, Z_j) = √(t_i/t_j), mean η√t_k) at the
           given boundaries; n = (ησ/δ)²(1 + 1/r); expected n from the same exit probabilities.
  mixture: the n at which the always-valid boundary alone is crossed, on the effect's side,
           with the target probability at that look (mSPRT with τ², or the confidence sequence
           with τ² = ρ²·n_total·V, ρ² = (−2 log α + log(1 − 2 log α))/N*); the radius solves
           Λ(r) = 1/α by brentq on the mixture likelihood ratio, written out here."""
import math

import numpy as np
from scipy import optimize, special, stats
from statsmodels.stats.power import NormalIndPower

from _common import run

ALT = {"two": "two-sided", "greater": "larger"}


def box(cs, ts, two, drift):
    k = len(cs)
    cov = np.array([[math.sqrt(min(ts[i], ts[j]) / max(ts[i], ts[j])) for j in range(k)] for i in range(k)])
    mean = drift * np.sqrt(np.asarray(ts))
    upper = np.asarray(cs)
    lower = -upper if two else np.full(k, -np.inf)
    if k == 1:
        return stats.norm.cdf(upper[0] - mean[0]) - (stats.norm.cdf(lower[0] - mean[0]) if two else 0.0)
    return float(stats.multivariate_normal.cdf(upper, mean=mean, cov=cov, lower_limit=lower, abseps=1e-6, releps=0, maxpts=50_000 * k))


def gst(c, d):
    ts, cs, two = c["t"], c["boundaries"], c["sided"] == "two"
    drift = optimize.brentq(lambda eta: (1 - box(cs, ts, two, eta)) - c["power"], 0.1, 10, xtol=1e-6)
    cont = [1.0] + [box(cs[: k + 1], ts[: k + 1], two, drift) for k in range(len(ts))]
    frac = sum(ts[k] * (cont[k] - cont[k + 1]) for k in range(len(ts))) + ts[-1] * cont[-1]
    n_max = (drift / d) ** 2 * (1 + 1 / c["ratio"])
    return n_max, n_max * frac


def log_lr(theta, v, t2, two):
    base = 0.5 * math.log(v / (v + t2)) + t2 * theta * theta / (2 * v * (v + t2))
    return base if two else base + math.log(2) + special.log_ndtr(theta * math.sqrt(t2) / math.sqrt(v * (v + t2)))


def mixture(c, delta, sd, tau2=None, tuning_n=None):
    alpha, r, two = c["alpha"], c["ratio"], c["sided"] == "two"
    rho2 = None if tuning_n is None else (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning_n

    def power(n):
        v = sd * sd * (1 / n + 1 / (r * n))
        t2 = tau2 if tau2 is not None else rho2 * n * (1 + r) * v
        radius = optimize.brentq(lambda x: log_lr(x, v, t2, two) - math.log(1 / alpha), 0, 1e3 * math.sqrt(v) + 1, xtol=1e-14 * math.sqrt(v))
        return stats.norm.sf((radius - delta) / math.sqrt(v))

    return optimize.brentq(lambda n: power(n) - c["power"], 2, 1e12, xtol=1e-9, rtol=1e-12)


def handle(c):
    sd = math.sqrt(c["baseline"] * (1 - c["baseline"])) if c["metric"] == "proportion" else c["sd"]
    delta = abs(c["mde"] * c["baseline"])
    fixed = NormalIndPower().solve_power(effect_size=delta / sd, nobs1=None, alpha=c["alpha"], power=c["power"],
                                         ratio=c["ratio"], alternative=ALT[c["sided"]])
    n_max, expected = gst(c, delta / sd)
    out = {"fixed": float(fixed), "gst": n_max, "gstExpected": expected,
           "confseq": mixture(c, delta, sd, tuning_n=c["tuningN"])}
    if c.get("tau2") is not None:
        out["msprt"] = mixture(c, delta, sd, tau2=c["tau2"])
    return out


run(handle)
