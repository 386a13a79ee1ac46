"""Reference for SLO burn-rate bounds: exact Clopper-Pearson interval from statsmodels
(proportion_confint method='beta'); its two-sided level 1 - 2a gives the one-sided bounds at a."""
from statsmodels.stats.proportion import proportion_confint

from _common import run


def handle(c):
    lo, hi = proportion_confint(c["bad"], c["total"], alpha=2 * c["alpha"], method="beta")
    return {"lower": float(lo), "upper": float(hi)}


run(handle)
