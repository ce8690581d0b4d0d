#!/usr/bin/env python3
"""Independent reference values for RateStatisticsTests and InequalityIndexTests, from
scipy and statsmodels (pip install scipy statsmodels). Writes
Tests/SPRXAggregateTests/Fixtures/scipy_*.csv and statsmodels_*.csv; the tests read
those files and never call Python.
"""
from pathlib import Path

import numpy as np
import scipy
import statsmodels
import statsmodels.api as sm
from scipy import stats

out = Path(__file__).resolve().parents[2] / "Tests/SPRXAggregateTests/Fixtures"
stamp = f"# scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, numpy {np.__version__}; scripts/expected/scipy_reference.py\n"

# Exact (Garwood) Poisson limits: chi2.ppf(a/2, 2x)/2 and chi2.ppf(1-a/2, 2x+2)/2.
lines = ["count,confidence,lower,upper"]
for conf in (0.95, 0.998):
    a = 1 - conf
    for x in range(10):
        lower = 0.0 if x == 0 else stats.chi2.ppf(a / 2, 2 * x) / 2
        upper = stats.chi2.ppf(1 - a / 2, 2 * x + 2) / 2
        lines.append(f"{x},{conf},{float(lower)!r},{float(upper)!r}")
(out / "scipy_poisson_exact.csv").write_text("# Exact Poisson limits from scipy.stats.chi2.ppf\n" + stamp + "\n".join(lines) + "\n")

# Standard normal quantiles.
lines = ["p,z"]
for p in (1e-10, 1e-4, 0.001, 0.01, 0.02425, 0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999, 0.9999, 1 - 1e-10):
    lines.append(f"{p!r},{float(stats.norm.ppf(p))!r}")
(out / "scipy_normal_quantiles.csv").write_text("# scipy.stats.norm.ppf\n" + stamp + "\n".join(lines) + "\n")

# SII as a weighted least squares fit (statsmodels WLS, weights = population share) on a
# small hand-made example: 5 quintiles, most deprived first, rates falling with rank.
population = np.array([12000.0, 9000.0, 10000.0, 8000.0, 11000.0])
value = np.array([30.0, 26.0, 21.0, 19.0, 14.0])
se = np.array([1.5, 1.4, 1.2, 1.3, 1.0])
share = population / population.sum()
rank = np.cumsum(share) - share / 2
fit = sm.WLS(value, sm.add_constant(rank), weights=share).fit()
intercept, slope = fit.params
# The slope is linear in the values, so with independent normal values its sampling SD
# is sqrt(sum(c_i^2 se_i^2)) for the WLS slope coefficients c_i: the limit the simulated
# interval tends to, used to judge Monte Carlo error.
x = sm.add_constant(rank)
w = np.diag(share)
coef = np.linalg.solve(x.T @ w @ x, x.T @ w)  # rows: intercept, slope
slope_sd = float(np.sqrt(np.sum((coef[1] * se) ** 2)))
lines = ["quantile,population,value,standard_error"]
for q in range(5):
    lines.append(f"{q + 1},{float(population[q])!r},{float(value[q])!r},{float(se[q])!r}")
(out / "statsmodels_sii_inputs.csv").write_text("# hand-made quintiles for the WLS check\n" + stamp + "\n".join(lines) + "\n")
lines = ["intercept,slope,slope_sd", f"{float(intercept)!r},{float(slope)!r},{slope_sd!r}"]
(out / "statsmodels_sii_expected.csv").write_text(
    "# statsmodels WLS(value ~ 1 + rank, weights = population share): intercept = fitted most deprived (x = 0), slope = SII;\n"
    "# slope_sd = sqrt(sum((c_i se_i)^2)) of the same fit, the SII's exact sampling SD\n" + stamp + "\n".join(lines) + "\n")
print("wrote", out)
