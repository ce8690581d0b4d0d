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
import duckdb
from duckdb_frame import build_base

data_dir, pipeline_path, sprx_out = sys.argv[1:4]
con, pipeline = build_base(data_dir, pipeline_path)

dims = {"all": "'all'", "age_band": "age_band", "sex": "sex", "ethnicity": "ethnicity", "imd_decile": "imd_decile",
        "imd_quintile": "imd_quintile", "rurality": "rurality", "nation": "nation",
        "nation/imd_quintile": "nation || '/' || imd_quintile", "nation/imd_decile": "nation || '/' || imd_decile"}
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
