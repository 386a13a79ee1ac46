"""Reference values from statsmodels / scipy: two-proportion z-test, Wald CI, normal power,
multiple-testing adjustments, Pearson correlation, Dirichlet-multinomial Bayes factor."""
import numpy as np
from scipy import stats
from scipy.special import gammaln
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from _common import run

ALT = {"two": "two-sided", "greater": "larger", "less": "smaller"}


def handle(c):
    op = c["op"]
    if op == "ztest":
        z, p = proportions_ztest([c["t"]["successes"], c["c"]["successes"]], [c["t"]["n"], c["c"]["n"]],
                                 alternative=ALT[c["sided"]])
        lo, hi = confint_proportions_2indep(c["t"]["successes"], c["t"]["n"], c["c"]["successes"], c["c"]["n"],
                                            method="wald", compare="diff", alpha=c["alpha"])
        return {"z": float(z), "p": float(p), "ci": [float(lo), float(hi)]}
    if op == "power":
        d = c["effect"] / c["sd"]
        alt = ALT[c["sided"]]
        pw = NormalIndPower().power(effect_size=d, nobs1=c["n"], alpha=c["alpha"], ratio=c["ratio"], alternative=alt)
        n = NormalIndPower().solve_power(effect_size=d, nobs1=None, alpha=c["alpha"], power=c["power"],
                                         ratio=c["ratio"], alternative=alt)
        return {"power": float(pw), "n": float(n)}
    if op == "multipletests":
        p = np.array(c["p"])
        return {"holm": multipletests(p, method="holm")[1].tolist(), "bh": multipletests(p, method="fdr_bh")[1].tolist()}
    if op == "pearson":
        r = stats.pearsonr(c["x"], c["y"])
        return {"r": float(r.statistic), "p": float(r.pvalue)}
    if op == "dirichlet_bf":
        x = np.array(c["counts"], dtype=float)
        p0 = np.array(c["weights"], dtype=float)
        p0 = p0 / p0.sum()
        a = c["concentration"] * p0
        # log B(a + x) − log B(a) − Σ x log p0, with B the multivariate beta function
        logB = lambda v: gammaln(v).sum() - gammaln(v.sum())
        return {"logbf": float(logB(a + x) - logB(a) - (x * np.log(p0)).sum())}
    raise ValueError(op)


run(handle)
