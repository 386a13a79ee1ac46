"""Independent Monte-Carlo of the calibration design (`runway calibrate`): unit-level normal
data (numpy, its own generator), Welch variance at each look, and each method's rejection
rule written from its paper rather than taken from src/stats:
  mSPRT (Johari, Pekelis & Walsh 2022): two-sided normal mixture
    log Λ = ½ log(V/(V+τ²)) + τ²θ̂²/(2V(V+τ²)); one-sided ('greater'): the half-normal mixture
    log Λ = log 2 + ½ log(V/(V+τ²)) + τ²θ̂²/(2V(V+τ²)) + log Φ(θ̂τ/√(V(V+τ²))); reject at Λ ≥ 1/α.
  confidence sequence (Waudby-Smith et al.): the same mixture with τ² = ρ²·n_total·V,
    ρ² = (−2 log α + log(1 − 2 log α))/N*.
  fixed: Welch t-test at the last look only (scipy.stats.t).
  gst: |Z| (or Z) ≥ c_k at look k, boundaries given (checked against MVN and published tables
    in gst.test.ts / gst-published.test.ts).
Returns the rejection rate per method."""
import math

import numpy as np
from scipy import special, stats

from _common import run


def handle(c):
    rng = np.random.default_rng(c["seed"])
    looks, m, alpha, sided, delta = c["looks"], c["unitsPerLook"], c["alpha"], c["sided"], c["effect"]
    tau2, tuning_n, bounds = c["tau2"], c["tuningN"], np.asarray(c["gst"])
    rho2 = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning_n
    crit = math.log(1 / alpha)
    n = m * np.arange(1, looks + 1)
    rejected = {k: 0 for k in ("msprt", "confseq", "welch-fixed", "gst")}
    done = 0
    while done < c["experiments"]:
        e = min(500, c["experiments"] - done)
        arms = []
        for shift in (0.0, delta):
            # float32 units (summed in float64) halve the time; 50 values lose nothing that matters.
            x = rng.standard_normal((e, looks, m), dtype=np.float32)
            if shift:
                x += np.float32(shift)
            s = np.cumsum(x.sum(axis=2, dtype=np.float64), axis=1)
            ss = np.cumsum(np.einsum("ijk,ijk->ij", x, x, dtype=np.float64), axis=1)
            arms.append((s / n, (ss - s * s / n) / (n - 1) / n))
        (mc, vc), (mt, vt) = arms
        theta, v = mt - mc, vc + vt
        z = theta / np.sqrt(v)

        def mixture(t2):
            log_lr = 0.5 * np.log(v / (v + t2)) + t2 * theta**2 / (2 * v * (v + t2))
            if sided == "greater":
                log_lr = log_lr + math.log(2) + special.log_ndtr(theta * np.sqrt(t2) / np.sqrt(v * (v + t2)))
            return (log_lr >= crit).any(axis=1)

        rejected["msprt"] += int(mixture(tau2).sum())
        rejected["confseq"] += int(mixture(rho2 * 2 * n * v).sum())
        df = v[:, -1] ** 2 / (vt[:, -1] ** 2 / (n[-1] - 1) + vc[:, -1] ** 2 / (n[-1] - 1))
        zl = z[:, -1]
        p = 2 * stats.t.sf(np.abs(zl), df) if sided == "two" else stats.t.sf(zl, df)
        rejected["welch-fixed"] += int((p <= alpha).sum())
        stat = np.abs(z) if sided == "two" else z
        rejected["gst"] += int((stat >= bounds).any(axis=1).sum())
        done += e
    return {k: r / c["experiments"] for k, r in rejected.items()}


run(handle)
