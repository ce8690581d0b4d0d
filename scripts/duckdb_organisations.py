#!/usr/bin/env python3
"""Independent recount of organisations.csv in DuckDB.

Rebuilds the referral frame from the same gzip CSV files and lookups as sprx
(duckdb_frame.py), counts per organisation_id the referrals, the non-medical ones, the
contacted ones and those with an intervention, applies the publication rule on its own
(an id is published when the lookup lists it, the pipeline's own unless --lookup names
one, or, without a lookup, when it has an ODS code's shape, one letter and five digits;
every other id pooled as "(other)"; no
organisation_id: in no row), sums parents from the lookup, and recomputes every row's
numerator, denominator, value, overall share, Public Health England's funnel limits
(scripts/expected/funnel_reference.py: root finding on the Wilson bounds, not sprx's
closed form) and flag. Compares them, and the row order, with sprx's table written with
--no-disclosure-control. Exit 1 on any difference.

For data written by `sprx generate` without --messy (every row valid, no duplicates).
Usage: duckdb_organisations.py --pipeline P --input DATA_DIR --tables SPRX_OUT/tables [--lookup CSV]
(the lookup: code,name,type,parent_code,parent_name,parent_type, as the pipeline names it).
"""
import argparse
import csv
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "expected"))
from duckdb_frame import build_base  # noqa: E402
from funnel_reference import limits  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--pipeline", required=True)
parser.add_argument("--input", required=True, help="the folder of *.csv.gz files sprx read")
parser.add_argument("--tables", required=True, help="sprx's tables folder (run with --no-disclosure-control)")
parser.add_argument("--lookup", help="the organisation lookup CSV, when the pipeline names one")
args = parser.parse_args()

INDICATORS = ["non_medical_share", "contacted_share", "intervention_share"]
POOLED = "(other)"

con, pipeline = build_base(args.input, args.pipeline)
per_org = con.execute("""
    SELECT organisation, count(*), count(*) FILTER (WHERE route_type = 'non_medical'),
           sum(contacted), count(*) FILTER (WHERE coalesce(interventions, 0) > 0)
    FROM base WHERE organisation IS NOT NULL GROUP BY organisation""").fetchall()
without = con.execute("SELECT count(*) FROM base WHERE organisation IS NULL").fetchone()[0]
total_rows = con.execute("SELECT count(*) FROM base").fetchone()[0]

lookup = None
lookup_path = args.lookup
if lookup_path is None:
    # The pipeline's own lookup (organisations.lookup.file, relative to the pipeline file).
    import yaml
    with open(args.pipeline, encoding="utf-8") as f:
        named = ((yaml.safe_load(f) or {}).get("organisations") or {}).get("lookup")
    if named:
        lookup_path = os.path.join(os.path.dirname(os.path.abspath(args.pipeline)), named["file"])
if lookup_path:
    with open(lookup_path, newline="", encoding="utf-8") as f:
        lookup = {" ".join(r["code"].split()).upper(): r for r in csv.DictReader(f)}

code_shape = re.compile(r"[A-Za-z][0-9]{5}")  # an ODS code: one letter, five digits


def published(code):
    if len(code.encode()) > 16:  # held as a digest by sprx: never published
        return False
    if lookup is not None:
        return code in lookup
    return bool(code_shape.fullmatch(code))


# (level, id) -> [referrals, non_medical, contacted, intervention]
groups = {}
for code, *counts in per_org:
    key = ("organisation", code if published(code) else POOLED)
    acc = groups.setdefault(key, [0, 0, 0, 0])
    for i, c in enumerate(counts):
        acc[i] += int(c)
totals = [sum(v[i] for v in groups.values()) for i in range(4)]
info = {}
if lookup is not None:
    # Organisations in code order: a parent's name and type are its first listing's with a
    # name (or its first listing's when none has one), as in sprx.
    for (level, code), counts in sorted(groups.items(), key=lambda kv: kv[0][1].encode()):
        row = lookup.get(code)
        info[code] = row
        if row and row.get("parent_code", "").strip():
            parent = row["parent_code"].strip()
            acc = groups.setdefault(("parent", parent), [0, 0, 0, 0])
            for i in range(4):
                acc[i] += counts[i]
            seen = info.get(("parent", parent))
            if seen is None or (not seen.get("parent_name", "").strip() and row.get("parent_name", "").strip()):
                info[("parent", parent)] = row


def order(key):
    level, code = key
    return (0 if level == "organisation" else 1, code == POOLED, code.encode())


expected = []
for key in sorted(groups, key=order):
    level, code = key
    counts = groups[key]
    for i, indicator in enumerate(INDICATORS):
        num, den = counts[i + 1], counts[0]
        p = totals[i + 1] / totals[0]
        lo95, hi95, lo998, hi998 = limits(den, p)
        v = num / den
        flag = ("below_998" if v < lo998 else "below_95" if v < lo95 else
                "above_998" if v > hi998 else "above_95" if v > hi95 else "within")
        if level == "organisation":
            r = info.get(code) if lookup is not None else None
            name, kind, parent = (r["name"], r["type"], r.get("parent_code", "").strip()) if r else ("", "", "")
        else:
            r = info[key]
            name, kind, parent = r["parent_name"], r["parent_type"], ""
        expected.append({
            "organisation_id": code, "indicator": indicator, "numerator": num, "denominator": den,
            "value": 100 * v, "overall": 100 * p, "lower_95": 100 * lo95, "upper_95": 100 * hi95,
            "lower_998": 100 * lo998, "upper_998": 100 * hi998, "flag": flag, "level": level,
            "name": name, "organisation_type": kind, "parent_id": parent})

with open(os.path.join(args.tables, "organisations.csv"), newline="", encoding="utf-8") as f:
    actual = list(csv.DictReader(f))
if any(r["disclosure_control"] != "off" for r in actual):
    sys.exit("organisations.csv was written with disclosure control on: run sprx with --no-disclosure-control")

failures = 0
if len(actual) != len(expected):
    print(f"sprx has {len(actual)} rows, DuckDB {len(expected)}")
    failures += 1
for i, (a, e) in enumerate(zip(actual, expected)):
    where = f"row {i + 1} ({e['level']} {e['organisation_id']} {e['indicator']})"
    problems = []
    for column in ("organisation_id", "indicator", "level", "name", "organisation_type", "parent_id", "flag"):
        if a[column] != str(e[column]):
            problems.append(f"{column} {a[column]!r} vs {e[column]!r}")
    for column in ("numerator", "denominator"):
        if a[column] == "" or int(a[column]) != e[column]:
            problems.append(f"{column} {a[column]} vs {e[column]}")
    for column in ("value", "overall", "lower_95", "upper_95", "lower_998", "upper_998"):
        if a[column] == "" or abs(float(a[column]) - e[column]) > 0.005 + 1e-9:
            problems.append(f"{column} {a[column]} vs {e[column]:.6f}")
    if a["suppressed"] != "FALSE":
        problems.append(f"suppressed {a['suppressed']}")
    if problems:
        failures += 1
        print(f"{where}: " + "; ".join(problems))

organisations = sum(1 for k in groups if k[0] == "organisation")
parents = len(groups) - organisations
print(f"organisations: {len(actual)} rows compared ({total_rows} referrals, {without} without organisation_id, "
      f"{organisations} organisation groups incl. pooled, {parents} parents), {failures} differences")
sys.exit(1 if failures else 0)
