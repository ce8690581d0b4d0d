#!/usr/bin/env python3
"""The benchmark's DuckDB side: the same job as `sprx run`, in SQL, over the same files.

Reads the gzip CSV files, normalises route/sex/ethnicity/contacted labels with the
pipeline's label lists, casts ages and counts, bands ages, joins each nation's own
deprivation index and rurality lookup (duckdb_frame.build_base), then counts referrals
by route type for every dimension of route_type_by_group.csv and writes them to a CSV
(dimension, group, route_type, n) for the table check.

Usage: bench_duckdb.py DATA_DIR PIPELINE_YAML THREADS OUT_CSV
"""
import csv, sys
from duckdb_frame import build_base

data_dir, pipeline_path, threads, out_csv = sys.argv[1:5]
con, _ = build_base(data_dir, pipeline_path, threads=int(threads))
dims = {"all": "'all'", "age_band": "age_band", "sex": "sex", "ethnicity": "ethnicity", "imd_decile": "imd_decile",
        "imd_quintile": "imd_quintile", "rurality": "rurality", "nation": "nation",
        "nation/imd_quintile": "nation || '/' || imd_quintile", "nation/imd_decile": "nation || '/' || imd_decile"}
query = " UNION ALL ".join(
    f"SELECT '{d}' AS dimension, CAST({e} AS VARCHAR) AS grp, route_type, count(*) AS n FROM base GROUP BY ALL"
    for d, e in dims.items())
with open(out_csv, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["dimension", "group", "route_type", "n"])
    w.writerows(sorted(con.execute(query).fetchall()))
