"""Interference references, independent of Runway's sufficient-statistics formulas.
interaction: statsmodels OLS of unit-level y on A, B and A:B (patsy formula y ~ A*B); the
interaction coefficient and its SE under cov_type HC2 and the classical (nonrobust) SE.
assignment: scipy.stats.chi2_contingency(table, correction=False).
correlation: numpy corrcoef and the Fisher z interval with scipy's normal quantile."""
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from _common import run


def handle(c):
    if c["kind"] == "interaction":
        df = pd.DataFrame({"y": c["y"], "A": c["a"], "B": c["b"]})
        fit = smf.ols("y ~ A*B", data=df)
        hc2 = fit.fit(cov_type="HC2")
        hc3 = fit.fit(cov_type="HC3")
        classical = fit.fit()
        return {
            "coef": float(hc2.params["A:B"]),
            "seHC2": float(hc2.bse["A:B"]),
            "seHC3": float(hc3.bse["A:B"]),
            "seClassical": float(classical.bse["A:B"]),
        }
    if c["kind"] == "assignment":
        chi2, p, dof, _ = stats.chi2_contingency(np.asarray(c["table"], dtype=float), correction=False)
        return {"chiSquare": float(chi2), "pValue": float(p), "df": int(dof)}
    x = np.asarray(c["x"], dtype=float)
    y = np.asarray(c["y"], dtype=float)
    r = float(np.corrcoef(x, y)[0, 1])
    h = stats.norm.ppf(1 - c["alpha"] / 2) / np.sqrt(len(x) - 3)
    return {"r": r, "low": float(np.tanh(np.arctanh(r) - h)), "high": float(np.tanh(np.arctanh(r) + h))}


run(handle)
