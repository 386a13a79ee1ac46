"""Independent mSPRT reference (Johari, Pekelis & Walsh): the mixture likelihood ratio is
integrated NUMERICALLY (scipy.integrate.quad) rather than taken from the closed form, and
the confidence-sequence bounds are found by root finding (brentq) on that integral.
Two-sided mixes θ ~ N(0, τ²); one-sided mixes the half-normal on the alternative's side."""
import math

import numpy as np
from scipy import integrate, optimize

from _common import run


def log_mixture(delta, V, tau2, one_sided):
    # log ∫ exp(θδ/V − θ²/(2V)) π(θ) dθ, with π = N(0,τ²) or 2·N(0,τ²)·1{θ>0}.
    def f(th):
        return th * delta / V - th * th / (2 * V) - th * th / (2 * tau2)
    prec = 1 / V + 1 / tau2
    # locate the peak numerically and integrate the rescaled integrand around it
    peak = optimize.minimize_scalar(lambda th: -f(th)).x
    if one_sided:
        peak = max(peak, 0.0)
    width = 1 / math.sqrt(prec)
    fmax = f(peak)
    lo = 0.0 if one_sided else peak - 40 * width
    hi = peak + 40 * width
    if one_sided and hi <= 0:
        hi = 40 * width
    val, _ = integrate.quad(lambda th: math.exp(f(th) - fmax), lo, hi, points=[peak] if lo < peak < hi else None,
                            epsabs=0, epsrel=1e-12, limit=200)
    log_norm = -0.5 * math.log(2 * math.pi * tau2) + (math.log(2) if one_sided else 0.0)
    return fmax + math.log(val) + log_norm


def handle(c):
    nC, sC, ssC = c["control"]["n"], c["control"]["sum"], c["control"]["sumSquares"]
    nT, sT, ssT = c["treatment"]["n"], c["treatment"]["sum"], c["treatment"]["sumSquares"]
    mC, mT = sC / nC, sT / nT
    vC = (ssC - nC * mC * mC) / (nC - 1)
    vT = (ssT - nT * mT * mT) / (nT - 1)
    V = vC / nC + vT / nT
    eff = mT - mC
    tau2, alpha, sided = c["tau2"], c["alpha"], c["sided"]
    one = sided != "two"
    sign = -1.0 if sided == "less" else 1.0
    llr = log_mixture(sign * eff, V, tau2, one)
    p = min(1.0, math.exp(-llr))
    target = math.log(1 / alpha)
    g = lambda d: log_mixture(d, V, tau2, one) - target
    hi = math.sqrt(V) * 10
    while g(hi) < 0:
        hi *= 2
    r = optimize.brentq(g, 0.0, hi, xtol=1e-14 * hi, rtol=1e-13)
    if sided == "two":
        ci = [eff - r, eff + r]
    elif sided == "greater":
        ci = [eff - r, None]
    else:
        ci = [None, eff + r]
    return {"effect": eff, "se": math.sqrt(V), "llr": llr, "p": p, "ci": ci}


run(handle)
