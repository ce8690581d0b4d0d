#!/usr/bin/env python3
"""Independent recount of route_type_by_group.csv and route_by_group.csv in DuckDB.

Reads the same gzip CSV files and the same reference lookups as sprx, maps labels with
the label lists of the pipeline file (case-insensitive, trimmed, inner spaces
collapsed), bands ages, joins each nation's own deprivation index and rurality, and
counts referrals by route (type) for every dimension. Then compares every n and total
with sprx's tables written with --no-disclosure-control. Exit 1 on any difference.

For data written by `sprx generate` without --messy (every row valid, no duplicates).
Usage: duckdb_route_tables.py DATA_DIR PIPELINE_YAML SPRX_OUT_DIR
"""
import csv, os, sys
import duckdb, yaml

data_dir, pipeline_path, sprx_out = sys.argv[1:4]
pipeline = yaml.safe_load(open(pipeline_path))
ref = os.path.join(os.path.dirname(os.path.abspath(pipeline_path)), pipeline["enrich"]["reference_dir"])
con = duckdb.connect()

def norm(s):
    return " ".join(s.strip().lower().split())

route_rows = [(norm(l), rid, r["type"]) for rid, r in pipeline["routes"].items() for l in r["labels"]]
con.execute("CREATE TABLE route_map(label VARCHAR, route VARCHAR, route_type VARCHAR)")
con.executemany("INSERT INTO route_map VALUES (?, ?, ?)", route_rows)
sex_rows = [(norm(l), k.capitalize()) for k, ls in pipeline["labels"]["sex"].items() for l in ls]
con.execute("CREATE TABLE sex_map(label VARCHAR, sex VARCHAR)")
con.executemany("INSERT INTO sex_map VALUES (?, ?)", sex_rows)
eth_rows = [(norm(l), k.capitalize()) for k, ls in pipeline["labels"]["ethnicity"].items() for l in ls]
con.execute("CREATE TABLE eth_map(label VARCHAR, ethnicity VARCHAR)")
con.executemany("INSERT INTO eth_map VALUES (?, ?)", eth_rows)

dep = pipeline["enrich"]["deprivation"]; rur = pipeline["enrich"]["rurality"]
con.execute("CREATE TABLE dep AS " + " UNION ALL ".join(
    f"SELECT area_code, CAST(decile AS INTEGER) AS decile FROM read_csv('{ref}/{v['file']}', header=true, all_varchar=true)"
    for v in dep.values()))
con.execute("CREATE TABLE rur AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(
    f"SELECT area_code, CASE WHEN urban_rural LIKE 'Mixed%' THEN 'Mixed' ELSE urban_rural END AS rurality FROM read_csv('{ref}/{v['file']}', header=true, all_varchar=true)"
    for v in rur.values()) + ")")

bands = pipeline["enrich"]["age_bands"]
case = []
for b in bands:
    if b.endswith("+"):
        case.append(f"WHEN age >= {int(b[:-1])} THEN '{b}'")
    else:
        lo, hi = b.split("-"); case.append(f"WHEN age BETWEEN {lo} AND {hi} THEN '{b}'")
age_case = "CASE " + " ".join(case) + " ELSE 'Unknown' END"

con.execute(f"""
CREATE TABLE base AS
WITH raw AS (
  SELECT TRY_CAST(trim(age) AS INTEGER) AS age, regexp_replace(lower(trim(coalesce(sex,''))), '\\s+', ' ', 'g') AS sex_l,
         regexp_replace(lower(trim(coalesce(ethnicity,''))), '\\s+', ' ', 'g') AS eth_l, upper(trim(coalesce(area_code,''))) AS area,
         regexp_replace(lower(trim(coalesce(referral_source,''))), '\\s+', ' ', 'g') AS src_l
  FROM read_csv('{data_dir}/*.csv.gz', header=true, all_varchar=true)
)
SELECT {age_case} AS age_band,
       coalesce(s.sex, 'Unknown') AS sex,
       coalesce(e.ethnicity,
         CASE WHEN eth_l = '99' THEN 'Unknown'
              WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'A' AND 'C' THEN 'White'
              WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'D' AND 'G' THEN 'Mixed'
              WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'H' AND 'L' THEN 'Asian'
              WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'M' AND 'P' THEN 'Black'
              WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'R' AND 'S' THEN 'Other'
              ELSE 'Unknown' END) AS ethnicity,
       CASE WHEN area LIKE 'E01%' THEN 'England' WHEN area LIKE 'W01%' THEN 'Wales'
            WHEN area LIKE 'S01%' THEN 'Scotland' WHEN area LIKE '95%' THEN 'Northern Ireland' ELSE 'Unknown' END AS nation,
       coalesce(CAST(d.decile AS VARCHAR), 'Unknown') AS imd_decile,
       coalesce(CAST((d.decile + 1) // 2 AS VARCHAR), 'Unknown') AS imd_quintile,
       coalesce(u.rurality, 'Unknown') AS rurality,
       coalesce(m.route, 'unknown') AS route,
       replace(coalesce(m.route_type, 'unknown'), '-', '_') AS route_type
FROM raw
LEFT JOIN sex_map s ON s.label = raw.sex_l
LEFT JOIN eth_map e ON e.label = raw.eth_l
LEFT JOIN dep d ON d.area_code = raw.area
LEFT JOIN rur u ON u.area_code = raw.area
LEFT JOIN route_map m ON m.label = raw.src_l
""")

dims = {"all": "'all'", "age_band": "age_band", "sex": "sex", "ethnicity": "ethnicity", "imd_decile": "imd_decile",
        "imd_quintile": "imd_quintile", "rurality": "rurality", "nation": "nation",
        "nation/imd_quintile": "nation || '/' || imd_quintile"}
failures = 0
for table, category in (("route_type_by_group", "route_type"), ("route_by_group", "route")):
    expected = {}
    for dim, expr in dims.items():
        rows = con.execute(f"""
          SELECT g, c, n, sum(n) OVER (PARTITION BY g) AS total FROM (
            SELECT {expr} AS g, {category} AS c, count(*) AS n FROM base GROUP BY ALL)""").fetchall()
        for g, c, n, total in rows:
            expected[(dim, g, c)] = (n, total)
    got = {}
    with open(os.path.join(sprx_out, "tables", table + ".csv"), newline="") as f:
        for row in csv.DictReader(f):
            got[(row["dimension"], row["group"], row[category])] = (int(row["n"]), int(row["total"]))
    nonzero = {k: v for k, v in got.items() if v[0] != 0}
    if nonzero != expected:
        failures += 1
        for key in sorted(set(nonzero) | set(expected))[:10]:
            if nonzero.get(key) != expected.get(key):
                print(f"{table}: {key}: sprx {nonzero.get(key)} duckdb {expected.get(key)}")
    else:
        print(f"{table}: all {len(expected)} non-zero cells agree (n and total) with DuckDB {duckdb.__version__}")
sys.exit(1 if failures else 0)
