"""Shared helpers for the reference scripts: read a JSON batch, write JSON with None for non-finite."""
import json
import math
import sys


def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if hasattr(x, "item"):  # numpy scalar
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def run(handler):
    cases = json.load(sys.stdin)
    json.dump([clean(handler(c)) for c in cases], sys.stdout)
