#!/usr/bin/env python3
"""Independent reference values for FunnelLimitTests: Public Health England's funnel
limits for a proportion, found by a different route from sprx's closed form.

PHE's limits for a proportion (Fingertips technical guidance "Calculating funnel plot
limits"; PHEindicatormethods' calculate_funnel_limits, method "Wilson") are the
proportions an area with denominator n would need for the Wilson score interval of its
value to just touch the overall proportion p: the lower limit is the q whose Wilson upper
bound is p, the upper limit the q whose Wilson lower bound is p (z = the 0.975 quantile
for the 95% limits, the 0.999 quantile for the 99.8% limits), clamped to [0, 1].

Here those q are found by root finding (scipy.optimize.brentq on the Wilson bounds, z from
scipy.stats.norm.ppf) instead of sprx's closed-form solution of the quadratic, so the
two agree only if both are right. Writes Tests/SPRXAggregateTests/Fixtures/
scipy_funnel_limits.csv; the tests read it and never call Python. duckdb_organisations.py
imports `limits` to check the published table.

Usage: python3 scripts/expected/funnel_reference.py (needs scipy).
"""
import math
from pathlib import Path

import numpy as np
import scipy
from scipy import optimize, stats

CONFIDENCES = {"95": 0.975, "998": 0.999}


def wilson(q, n, z):
    """The Wilson score interval (lower, upper) of an observed proportion q out of n."""
    centre = q + z * z / (2 * n)
    half = z * math.sqrt(max(q * (1 - q) / n + z * z / (4 * n * n), 0.0))
    scale = 1 + z * z / n
    return (centre - half) / scale, (centre + half) / scale


def limit(n, p, probability, side):
    """The proportion out of n whose Wilson bound at z = norm.ppf(probability) is p."""
    z = float(stats.norm.ppf(probability))
    if side == "low":
        f = lambda q: wilson(q, n, z)[1] - p  # rises with q
    else:
        f = lambda q: wilson(q, n, z)[0] - p
    lo, hi = f(0.0), f(1.0)
    if lo >= 0:
        return 0.0
    if hi <= 0:
        return 1.0
    return optimize.brentq(f, 0.0, 1.0, xtol=1e-16, rtol=4 * np.finfo(float).eps, maxiter=500)


def limits(n, p):
    """(lower_95, upper_95, lower_998, upper_998) as proportions."""
    return (limit(n, p, CONFIDENCES["95"], "low"), limit(n, p, CONFIDENCES["95"], "high"),
            limit(n, p, CONFIDENCES["998"], "low"), limit(n, p, CONFIDENCES["998"], "high"))


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[2] / "Tests/SPRXAggregateTests/Fixtures"
    stamp = f"# scipy {scipy.__version__}, numpy {np.__version__}; scripts/expected/funnel_reference.py\n"
    lines = ["denominator,overall,lower_95,upper_95,lower_998,upper_998"]
    for n in (1, 2, 3, 5, 8, 10, 37, 100, 250, 1000, 12345, 1000000):
        for p in (0.001, 0.05, 0.2, 0.5, 0.806424, 0.97, 0.999):
            lines.append(f"{n},{p!r}," + ",".join(repr(float(v)) for v in limits(n, p)))
    (out / "scipy_funnel_limits.csv").write_text(
        "# PHE funnel limits for a proportion (proportions, clamped to [0, 1]) by brentq on the Wilson bounds\n"
        + stamp + "\n".join(lines) + "\n")
    print("wrote", out / "scipy_funnel_limits.csv")
