"""CUPED theta from unit-level data by numpy least squares (independent of any sums):
joint = slope of y on [1, x] over all units; within = slope of y on [x, one dummy per arm]."""
import numpy as np

from _common import run


def handle(c):
    y = np.concatenate([np.asarray(a["y"], dtype=float) for a in c["arms"]])
    x = np.concatenate([np.asarray(a["x"], dtype=float) for a in c["arms"]])
    joint = np.linalg.lstsq(np.column_stack([np.ones_like(x), x]), y, rcond=None)[0][1]
    dummies = np.zeros((len(x), len(c["arms"])))
    start = 0
    for k, a in enumerate(c["arms"]):
        dummies[start:start + len(a["y"]), k] = 1
        start += len(a["y"])
    within = np.linalg.lstsq(np.column_stack([x, dummies]), y, rcond=None)[0][0]
    return {"joint": float(joint), "within": float(within)}


run(handle)
