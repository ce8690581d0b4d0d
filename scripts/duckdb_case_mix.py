#!/usr/bin/env python3
"""Independent recount of organisations.csv's case-mix columns in DuckDB and scipy.

Rebuilds the referral frame from the same gzip CSV files and lookups as sprx
(duckdb_frame.py), counts every referral with an organisation_id by organisation and
stratum (age band × sex × deprivation quintile × nation, the default `case_mix.strata`;
each Unknown a stratum of its own), takes each stratum's share over all of them as the
standard, and recomputes for every published organisation row (not the pooled `(other)`
row, not parents) `observed`, `expected` = Σ_s n_s·p_s, `isr`, its 95% and 99.8% limits
(exact below 10 from scipy's chi-square quantiles, Byar's formula from 10), PHE's ratio
funnel at `expected` (expected / scipy's gamma quantiles) and `isr_flag` (the ratio's
interval against 1). Compares them with sprx's table, written with
--no-disclosure-control, to 6 significant digits. Exit 1 on any difference.

For data written by `sprx generate` without --messy (every row valid, no duplicates),
and a pipeline without a `case_mix` section.
Usage: duckdb_case_mix.py --pipeline P --input DATA_DIR --tables SPRX_OUT/tables
"""
import argparse
import csv
import math
import os
import sys

from scipy.stats import chi2, gamma, norm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from duckdb_frame import build_base  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--pipeline", required=True)
parser.add_argument("--input", required=True, help="the folder of *.csv.gz files sprx read")
parser.add_argument("--tables", required=True, help="sprx's tables folder (run with --no-disclosure-control)")
args = parser.parse_args()

con, pipeline = build_base(args.input, args.pipeline)
if pipeline.get("case_mix"):
    sys.exit("the pipeline names case_mix strata: this check knows the default only")
rows = con.execute("""
    SELECT organisation, age_band, sex, imd_quintile, nation, count(*),
           count(*) FILTER (WHERE route_type = 'non_medical'), sum(contacted),
           count(*) FILTER (WHERE coalesce(interventions, 0) > 0)
    FROM base WHERE organisation IS NOT NULL GROUP BY ALL""").fetchall()
INDICATORS = ["non_medical_share", "contacted_share", "intervention_share"]
standard = {}
per_org = {}
for organisation, *stratum_and_counts in rows:
    stratum, counts = tuple(stratum_and_counts[:4]), [int(c) for c in stratum_and_counts[4:]]
    acc = standard.setdefault(stratum, [0, 0, 0, 0])
    for i, c in enumerate(counts):
        acc[i] += c
    org = per_org.setdefault(organisation, {})
    org[stratum] = counts
# A stratum fewer than 3 organisations have referrals in takes the overall share
# (disclosure control is off here, so the exact one) instead of its own.
organisations_in = {}
for organisation, strata in per_org.items():
    for stratum, counts in strata.items():
        if counts[0] > 0:
            organisations_in[stratum] = organisations_in.get(stratum, 0) + 1
totals = [sum(acc[i] for acc in standard.values()) for i in range(4)]


def share(stratum, i):
    if organisations_in.get(stratum, 0) >= 3:
        return standard[stratum][i] / standard[stratum][0]
    return totals[i] / totals[0]


def limits(observed, confidence):
    """PHE's interval for a count: exact (Garwood, chi-square) below 10, Byar's from 10."""
    alpha = 1 - confidence
    if observed < 10:
        lower = 0.0 if observed == 0 else chi2.ppf(alpha / 2, 2 * observed) / 2
        return lower, chi2.ppf(1 - alpha / 2, 2 * observed + 2) / 2
    z = norm.ppf(1 - alpha / 2)
    lower = observed * (1 - 1 / (9 * observed) - z / (3 * math.sqrt(observed))) ** 3
    upper = (observed + 1) * (1 - 1 / (9 * (observed + 1)) + z / (3 * math.sqrt(observed + 1))) ** 3
    return lower, upper


with open(os.path.join(args.tables, "organisations.csv"), newline="", encoding="utf-8") as f:
    actual = [r for r in csv.DictReader(f) if r["level"] == "organisation" and r["organisation_id"] != "(other)"]
if any(r["disclosure_control"] != "off" for r in actual):
    sys.exit("organisations.csv was written with disclosure control on: run sprx with --no-disclosure-control")


def close(text, value):
    """sprx prints 6 significant digits."""
    if text == "":
        return False
    return abs(float(text) - value) <= 5e-6 * max(abs(value), 1e-12) + 1e-300


failures = 0
compared = 0
for row in actual:
    strata = per_org.get(row["organisation_id"])
    if strata is None:
        print(f"{row['organisation_id']}: not among DuckDB's organisations")
        failures += 1
        continue
    i = INDICATORS.index(row["indicator"]) + 1
    observed = sum(c[i] for c in strata.values())
    expected = sum(c[0] * share(s, i) for s, c in strata.items())
    problems = []
    if row["observed"] != str(observed):
        problems.append(f"observed {row['observed']} vs {observed}")
    if not close(row["expected"], expected):
        problems.append(f"expected {row['expected']} vs {expected:.6g}")
    if expected > 0:
        low95, high95 = limits(observed, 0.95)
        low998, high998 = limits(observed, 0.998)
        checks = {
            "isr": observed / expected, "isr_lower_95": low95 / expected, "isr_upper_95": high95 / expected,
            "isr_lower_998": low998 / expected, "isr_upper_998": high998 / expected,
        }
        # Below 0.01 (gamma quantiles underflowing) sprx draws no ratio funnel: empty, noted.
        if expected < 0.01:
            for column in ["isr_funnel_lower_95", "isr_funnel_upper_95", "isr_funnel_lower_998", "isr_funnel_upper_998", "isr_flag"]:
                if row[column] != "":
                    problems.append(f"{column} {row[column]} at expected {expected:.6g} (no funnel below 0.01)")
            if "expected_too_small" not in row["note"].split(";"):
                problems.append(f"note {row['note']} lacks expected_too_small")
        else:
            checks.update({
            "isr_funnel_lower_95": expected / gamma.ppf(0.975, expected + 1), "isr_funnel_upper_95": expected / gamma.ppf(0.025, expected),
            "isr_funnel_lower_998": expected / gamma.ppf(0.999, expected + 1), "isr_funnel_upper_998": expected / gamma.ppf(0.001, expected),
            })
        for column, value in checks.items():
            if not close(row[column], value):
                problems.append(f"{column} {row[column]} vs {value:.6g}")
        flag = ("above_998" if low998 / expected > 1 else "above_95" if low95 / expected > 1 else
                "below_998" if high998 / expected < 1 else "below_95" if high95 / expected < 1 else "within")
        if expected >= 0.01 and row["isr_flag"] != flag:
            problems.append(f"isr_flag {row['isr_flag']} vs {flag}")
    compared += 1
    if problems:
        failures += 1
        print(f"{row['organisation_id']} {row['indicator']}: " + "; ".join(problems))

print(f"organisations.csv case mix: {compared} organisation rows compared ({len(standard)} strata), {failures} differences")
sys.exit(1 if failures else 0)
