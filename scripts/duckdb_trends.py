#!/usr/bin/env python3
"""Independent recount of trends.csv in DuckDB.

Rebuilds the referral frame from the same gzip CSV files and lookups as sprx
(duckdb_frame.py), then for calendar months and quarters from the one holding the first
referral date to the one holding the last, and for the dimensions all, route_type,
nation and imd_quintile (a group is listed when it has a referral in the period),
recomputes every row of trends.csv: referrals; non-medical, contacted and
intervention shares (numerator and denominator); the interval's last day; whether the
interval reaches outside the period (partial); and the share in percent with its 95%
Wilson interval (to the 2 decimals written). Compares them with sprx's table written
with --no-disclosure-control: every row either has must be in the other, every count
equal. Exit 1 on any difference.

For data written by `sprx generate` without --messy (every row valid, no duplicates).
Usage: duckdb_trends.py --pipeline PIPELINE_YAML --input DATA_DIR --tables SPRX_OUT/tables
"""
import argparse, csv, math, os, sys

import duckdb
from duckdb_frame import build_base

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--pipeline", required=True)
parser.add_argument("--input", required=True, help="folder of the generated .csv.gz files")
parser.add_argument("--tables", required=True, help="the tables folder of an sprx run with --no-disclosure-control")
args = parser.parse_args()

con, pipeline = build_base(args.input, args.pipeline)
first, last = con.execute("SELECT min(referral_day), max(referral_day) FROM base").fetchone()
con.execute("""
CREATE TABLE f AS
SELECT date_trunc('month', referral_day)::DATE AS month_start, date_trunc('quarter', referral_day)::DATE AS quarter_start,
       route_type, nation, imd_quintile, contacted, CASE WHEN coalesce(interventions, 0) > 0 THEN 1 ELSE 0 END AS intervention
FROM base
""")

dimensions = {"all": "'all'", "route_type": "route_type", "nation": "nation", "imd_quintile": "imd_quintile"}
steps = {"month": "INTERVAL 1 MONTH", "quarter": "INTERVAL 3 MONTH"}
z = 1.959963984540054  # the 0.975 quantile of the standard normal


def wilson(n, d):
    """Share and 95% Wilson score interval in percent (Wilson 1927)."""
    p = n / d
    centre = (p + z * z / (2 * d)) / (1 + z * z / d)
    half = z * math.sqrt(p * (1 - p) / d + z * z / (4 * d * d)) / (1 + z * z / d)
    return 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


expected = {}
for interval, step in steps.items():
    spans = con.execute(f"""
      SELECT s::DATE, (s + {step} - INTERVAL 1 DAY)::DATE
      FROM generate_series(date_trunc('{interval}', DATE '{first}'), date_trunc('{interval}', DATE '{last}'), {step}) t(s)
    """).fetchall()
    for dimension, expr in dimensions.items():
        tallies = {}
        for start, group, referrals, non_medical, contacted, intervention in con.execute(f"""
            SELECT {interval}_start, {expr}, count(*), count(*) FILTER (WHERE route_type = 'non_medical'),
                   sum(contacted), sum(intervention)
            FROM f GROUP BY ALL""").fetchall():
            tallies[(start, group)] = (referrals, non_medical, int(contacted), int(intervention))
        groups = sorted({g for (_, g) in tallies})
        for group in groups:
            for start, end in spans:
                referrals, non_medical, contacted, intervention = tallies.get((start, group), (0, 0, 0, 0))
                partial = "TRUE" if start < first or end > last else "FALSE"
                measures = {"referrals": (referrals, None), "contacted_share": (contacted, referrals),
                            "intervention_share": (intervention, referrals)}
                if dimension != "route_type":
                    measures["non_medical_share"] = (non_medical, referrals)
                for measure, (n, d) in measures.items():
                    expected[(measure, interval, start.isoformat(), dimension, group)] = (n, d, end.isoformat(), partial)

failures = 0
seen = set()
with open(os.path.join(args.tables, "trends.csv"), newline="") as f:
    for row in csv.DictReader(f):
        key = (row["measure"], row["interval"], row["interval_start"], row["dimension"], row["group"])
        if key in seen:
            print(f"sprx lists a row twice: {key}"); failures += 1; continue
        seen.add(key)
        if key not in expected:
            print(f"sprx has a row DuckDB does not: {key}"); failures += 1; continue
        n, d, end, partial = expected[key]
        problems = []
        if row["disclosure_control"] != "off": problems.append("disclosure control is on: run sprx with --no-disclosure-control")
        if row["numerator"] == "" or int(row["numerator"]) != n: problems.append(f"numerator {row['numerator']} vs {n}")
        if (row["denominator"] or None) != (None if d is None else str(d)): problems.append(f"denominator {row['denominator']} vs {d}")
        if row["interval_end"] != end: problems.append(f"interval_end {row['interval_end']} vs {end}")
        if row["partial"] != partial: problems.append(f"partial {row['partial']} vs {partial}")
        if d is None:
            if row["value"] != str(n) or row["ci_low"] or row["ci_high"]: problems.append(f"value {row['value']} vs {n}")
        elif d == 0:
            if row["value"] or row["ci_low"] or row["ci_high"]: problems.append("a share of no referrals is not empty")
        else:
            for column, value in zip(("value", "ci_low", "ci_high"), wilson(n, d)):
                if row[column] == "" or abs(float(row[column]) - value) > 0.005 + 1e-9:
                    problems.append(f"{column} {row[column]} vs {value:.6f}")
        if problems:
            failures += 1
            if failures <= 20:
                print(f"{key}: " + "; ".join(problems))
missing = [k for k in expected if k not in seen]
for key in missing[:20]:
    print(f"DuckDB has a row sprx does not: {key}")
failures += len(missing)
print(f"trends: {len(seen)} rows compared with DuckDB {duckdb.__version__} (period {first}..{last}), {failures} differences")
sys.exit(1 if failures else 0)
