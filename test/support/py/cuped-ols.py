"""CUPED from unit-level data, independently of Runway's sufficient-statistics formulas.
θ is the slope on X of an OLS fit (statsmodels) of the metric on the covariate with one
intercept per arm (the within-arm pooled regression); for ratio metrics the metric is each
unit's linearization L = (Y − R·D)/D̄ with the arm's R = ΣY/ΣD (Deng, Knoblich & Lu 2018).
Per arm: adjusted mean Ȳ − θ(X̄_arm − X̄_all) and the variance of the adjusted mean,
var(L − θX, ddof=1)/n (numpy, two-pass)."""
import numpy as np
import statsmodels.api as sm

from _common import run


def handle(c):
    arms = [{k: np.asarray(v, dtype=float) for k, v in a.items()} for a in c["arms"]]
    lin = []
    for a in arms:
        if c["metric"] == "ratio":
            r = a["y"].sum() / a["d"].sum()
            lin.append((a["y"] - r * a["d"]) / a["d"].mean())
        else:
            lin.append(a["y"])
    x = np.concatenate([a["x"] for a in arms])
    dummies = np.zeros((len(x), len(arms)))
    start = 0
    for k, a in enumerate(arms):
        dummies[start:start + len(a["x"]), k] = 1
        start += len(a["x"])
    fit = sm.OLS(np.concatenate(lin), np.column_stack([x, dummies])).fit()
    theta = float(fit.params[0])
    xbar = float(x.mean())
    out = []
    for a, l in zip(arms, lin):
        point = (a["y"].sum() / a["d"].sum()) if c["metric"] == "ratio" else float(a["y"].mean())
        out.append({
            "estimate": point - theta * (float(a["x"].mean()) - xbar),
            "variance": float(np.var(l - theta * a["x"], ddof=1)) / len(l),
        })
    return {"theta": theta, "covariateMean": xbar, "arms": out}


run(handle)
