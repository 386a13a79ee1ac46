"""Reference values from scipy for fixed-horizon tests (Welch, chi-square) — called by
test/unit/stats/*.test.ts with a batch of cases; each case names its op."""
import numpy as np
from scipy import stats

from _common import run


def handle(c):
    op = c["op"]
    if op == "welch_from_stats":
        r = stats.ttest_ind_from_stats(
            c["mean1"], c["std1"], c["n1"], c["mean2"], c["std2"], c["n2"],
            equal_var=False, alternative=c["alternative"])
        return {"t": float(r.statistic), "p": float(r.pvalue)}
    if op == "welch_raw":
        r = stats.ttest_ind(np.array(c["a"]), np.array(c["b"]), equal_var=False, alternative=c["alternative"])
        ci = r.confidence_interval(1 - c["alpha"])
        return {"t": float(r.statistic), "p": float(r.pvalue), "df": float(r.df), "ci": [float(ci.low), float(ci.high)]}
    if op == "chisquare":
        obs = np.array(c["counts"], dtype=float)
        w = np.array(c["weights"], dtype=float)
        exp = obs.sum() * w / w.sum()
        r = stats.chisquare(obs, exp)
        return {"chi2": float(r.statistic), "p": float(r.pvalue)}
    raise ValueError(op)


run(handle)
