#!/usr/bin/env python3
"""Checks that DuckDB and sprx did the same work: every non-zero n of sprx's
route_type_by_group.csv (run with --no-disclosure-control) equals DuckDB's count.
Usage: bench_check.py DUCKDB_CSV SPRX_OUT_DIR"""
import csv, os, sys
duck = {(r["dimension"], r["group"], r["route_type"]): int(r["n"]) for r in csv.DictReader(open(sys.argv[1]))}
sprx = {}
for r in csv.DictReader(open(os.path.join(sys.argv[2], "tables", "route_type_by_group.csv"))):
    if int(r["n"]) != 0:
        sprx[(r["dimension"], r["group"], r["route_type"])] = int(r["n"])
bad = [k for k in sorted(set(duck) | set(sprx)) if duck.get(k) != sprx.get(k)]
for k in bad[:10]:
    print(f"  differs: {k}: sprx {sprx.get(k)} duckdb {duck.get(k)}")
print(f"table check: route_type_by_group {len(sprx)} cells, {len(bad)} differ from DuckDB")
sys.exit(1 if bad else 0)
