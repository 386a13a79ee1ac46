"""Reference skewness: scipy.stats.skew (bias=True, population central moments) of raw values."""
import numpy as np
from scipy.stats import skew

from _common import run


def handle(c):
    return {"skewness": float(skew(np.asarray(c["values"], dtype=float), bias=True))}


run(handle)
