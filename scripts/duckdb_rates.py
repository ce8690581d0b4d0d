#!/usr/bin/env python3
"""Independent recount of rates_by_group.csv in DuckDB.

Rebuilds the referral frame from the same gzip CSV files and lookups as sprx
(duckdb_frame.py), reads the population files the pipeline's `population` section names
straight from the reference folder, sums residents per group by joining each area to
its own nation's deprivation decile and rurality, and recomputes for every group:
referrals, population, person-years, the crude rate per 1,000 per year and, where the
pipeline names single-year-of-age populations, the rate directly standardised to the
2013 European Standard Population. Compares them with sprx's table written with
--no-disclosure-control. Exit 1 on any difference.

For data written by `sprx generate` without --messy (every row valid, no duplicates)
and the default catchment (every small area).
Usage: duckdb_rates.py DATA_DIR PIPELINE_YAML SPRX_OUT_DIR
"""
import csv, os, sys
from duckdb_frame import build_base, create_residents

data_dir, pipeline_path, sprx_out = sys.argv[1:4]
con, pipeline = build_base(data_dir, pipeline_path)
ref = os.path.join(os.path.dirname(os.path.abspath(pipeline_path)), pipeline["enrich"]["reference_dir"])
population = pipeline.get("population") or {}
if population == "none":
    sys.exit("the pipeline names no population: nothing to check")
totals = population.get("totals", {}) if isinstance(population, dict) else {}
# Residents per area, with the area's group as sprx groups a referral from it.
create_residents(con, ref, totals)
first, last = con.execute("SELECT min(referral_day), max(referral_day) FROM base").fetchone()
fixed = population.get("period") if isinstance(population, dict) else None
if fixed:
    first, last = con.execute(f"SELECT DATE '{fixed['first']}', DATE '{fixed['last']}'").fetchone()
years = ((last - first).days + 1) / 365.25
# Referrals from those areas only (the rest are outside the catchment or have no area),
# dated within the period.
con.execute(f"CREATE TABLE resident_referrals AS SELECT b.* FROM base b JOIN residents r ON r.area = b.area "
            f"WHERE b.referral_day BETWEEN DATE '{first}' AND DATE '{last}'")

# Single-year-of-age residents per area, in the 19 groups of the 2013 European Standard Population.
esp = [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000, 7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000]
sya = population.get("single_year_of_age", {}) if isinstance(population, dict) else {}
nations_with_ages = set(sya.keys())
if sya:
    selects = []
    for nation, source in sya.items():
        where = f"WHERE {source['sex_column']} = '{source['sex']}'" if "sex_column" in source else ""
        cols = ", ".join(
            [f"({' + '.join(f'CAST(age_{a} AS BIGINT)' for a in range(5 * g, 5 * g + 5))}) AS g{g}" for g in range(18)]
            + ["CAST(age_90plus AS BIGINT) AS g18"])
        selects.append(f"SELECT area_code AS area, {cols} FROM read_csv('{ref}/{source['file']}', header=true, all_varchar=true) {where}")
    con.execute("CREATE TABLE ages AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(selects) + ")")

groups = {
    "all": "'all'", "nation": "nation", "nation/imd_decile": "nation || '/' || imd_decile",
    "nation/imd_quintile": "nation || '/' || imd_quintile", "nation/rurality": "nation || '/' || rurality",
}
expected = {}
for dim, expr in groups.items():
    pops = dict(con.execute(f"SELECT {expr}, sum(population) FROM residents GROUP BY ALL").fetchall())
    group_expr = expr.replace("nation", "r.nation").replace("imd_", "r.imd_").replace("rurality", "r.rurality")
    refs = dict(con.execute(
        f"SELECT {group_expr}, count(*) FROM resident_referrals b JOIN residents r ON r.area = b.area GROUP BY ALL").fetchall())
    dsr = {}
    if sya:
        pop_by_age = {g: list(v) for g, *v in con.execute(
            f"SELECT {group_expr}, " + ", ".join(f"sum(a.g{i})" for i in range(19))
            + f", bool_and(r.nation IN ({', '.join(repr(n) for n in nations_with_ages)})) FROM residents r LEFT JOIN ages a ON a.area = r.area GROUP BY ALL").fetchall()}
        counts_by_age = {}
        for g, grp, n in con.execute(
            f"SELECT {group_expr}, least(b.age // 5, 18), count(*) FROM resident_referrals b JOIN residents r ON r.area = b.area "
            f"WHERE b.age IS NOT NULL AND b.age BETWEEN 0 AND 120 GROUP BY ALL").fetchall():
            counts_by_age.setdefault(g, [0] * 19)[grp] = n
        for g, values in pop_by_age.items():
            all_have_ages = values[19]
            counts = counts_by_age.get(g, [0] * 19)
            if not all_have_ages or sum(counts) < 10:
                continue
            dsr[g] = 1000 * sum(w * d / (n * years) for w, d, n in zip(esp, counts, values[:19]) if n) / sum(esp)
    for g in set(pops) | set(refs):
        expected[(dim, g)] = (refs.get(g, 0), pops.get(g, 0), dsr.get(g))

failures = 0
seen = set()
with open(os.path.join(sprx_out, "tables", "rates_by_group.csv"), newline="") as f:
    for row in csv.DictReader(f):
        if row["dimension"] == "age_band":
            continue
        key = (row["dimension"], row["group"])
        seen.add(key)
        if key not in expected:
            print(f"sprx has a row DuckDB does not: {key}"); failures += 1; continue
        referrals, pop, dsr = expected[key]
        crude = 1000 * referrals / (pop * years) if pop else None
        problems = []
        if int(row["referrals"]) != referrals: problems.append(f"referrals {row['referrals']} vs {referrals}")
        if int(row["population"]) != pop: problems.append(f"population {row['population']} vs {pop}")
        if crude is not None and abs(float(row["crude_rate"]) - crude) > 0.0005 + 1e-9: problems.append(f"crude_rate {row['crude_rate']} vs {crude:.6f}")
        if dsr is not None and (row["dsr"] == "" or abs(float(row["dsr"]) - dsr) > 0.0005 + 1e-9): problems.append(f"dsr {row['dsr']} vs {dsr:.6f}")
        if dsr is None and row["dsr"] != "" and sya: problems.append(f"dsr {row['dsr']} where DuckDB has none")
        if problems:
            failures += 1
            print(f"{key}: " + "; ".join(problems))
missing = [k for k in expected if k not in seen]
for key in missing:
    print(f"DuckDB has a row sprx does not: {key}")
failures += len(missing)
rows = len(seen)
print(f"rates_by_group: {rows} rows compared (period {first}..{last}, {years:.6f} years), {failures} differences")
sys.exit(1 if failures else 0)
