"""Reference for the optimal mixing ratio x* = tau^2/V of the normal-mixture boundary, from the
boundary's definition (Lambda(r) = 1/alpha) solved with scipy, minimised with minimize_scalar:
two-sided Lambda = sqrt(1/(1+x)) exp(x d^2/(2(1+x))) (unit V); one-sided half-normal mixture
Lambda+ = 2 Phi(d sqrt(x/(1+x))) Lambda."""
import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.stats import norm

from _common import run


def radius(x, alpha, two):
    def log_lr(d):
        base = -0.5 * np.log1p(x) + x * d * d / (2 * (1 + x))
        return base if two else base + np.log(2) + norm.logcdf(d * np.sqrt(x / (1 + x)))
    return brentq(lambda d: log_lr(d) + np.log(alpha), 0, 100, xtol=1e-14)


def handle(c):
    two = c["sided"] == "two"
    res = minimize_scalar(lambda lx: radius(np.exp(lx), c["alpha"], two), bounds=(-5, 8), method="bounded",
                          options={"xatol": 1e-10})
    return {"x": float(np.exp(res.x)), "radius": float(res.fun)}


run(handle)
