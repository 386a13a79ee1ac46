"""Reference for proportions at 0%/100%: statsmodels Newcombe hybrid score interval
(confint_proportions_2indep method='newcomb'), Wilson intervals (proportion_confint), and the
pooled score test (test_proportions_2indep method='score', correction=False)."""
import warnings

from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, test_proportions_2indep

from _common import run

warnings.filterwarnings("ignore")
ALT = {"two": "two-sided", "greater": "larger", "less": "smaller"}


def handle(c):
    t, k = c["t"], c["c"]
    lo, hi = confint_proportions_2indep(t["successes"], t["n"], k["successes"], k["n"], method="newcomb",
                                        compare="diff", alpha=c["alpha"])
    r = test_proportions_2indep(t["successes"], t["n"], k["successes"], k["n"], method="score", correction=False,
                                alternative=ALT[c["sided"]])
    w = [list(proportion_confint(a["successes"], a["n"], alpha=c["alpha"], method="wilson")) for a in (k, t)]
    return {"ci": [lo, hi], "z": r.statistic, "p": r.pvalue, "wilson": w}


run(handle)
