#!/usr/bin/env python3
"""Independent Wilson 95% intervals for TrendTableTests (Tests/SPRXAggregateTests/TrendTableTests.swift),
from statsmodels' proportion_confint(method="wilson") (pip install statsmodels).

Prints one line per (successes, total) the tests use: the share and its interval in
percent, full precision; the tests hold these numbers as literals and never call Python.
"""
import statsmodels
from statsmodels.stats.proportion import proportion_confint

# (successes, total): the shares of the hand-made counts in TrendTableTests
# (exact: 5 of 15 non-medical in January, 11 of 25 in the first quarter, 6 of 10 in
# March, 0 of 10 contacted in March, 15 of 15 contacted in January; controlled: 10 of
# 15 after rounding 9 of 13).
CASES = [(5, 15), (11, 25), (6, 10), (0, 10), (15, 15), (10, 15)]

print(f"# statsmodels {statsmodels.__version__}: proportion_confint(count, nobs, alpha=0.05, method='wilson'), in percent")
for count, nobs in CASES:
    low, high = proportion_confint(count, nobs, alpha=0.05, method="wilson")
    print(f"({count}, {nobs}, {100 * count / nobs!r}, {100 * low!r}, {100 * high!r}),")
