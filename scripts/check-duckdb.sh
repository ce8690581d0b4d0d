#!/usr/bin/env bash
# Issue 3 acceptance check: sprx's route tables equal an independent DuckDB recount on
# 160,128 generated rows. Installs duckdb into .bench/venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
DATA=.bench/data-160k-plain
mkdir -p .bench
if [ ! -x .bench/venv/bin/python ]; then python3 -m venv .bench/venv && .bench/venv/bin/pip install -q duckdb pyyaml; fi
[ -f "$DATA/generate.json" ] || "$BIN" generate --rows 160128 --seed 1 --files 4 --out "$DATA"
"$BIN" run --pipeline Pipelines/referral-equity.yaml --input "$DATA" --out .bench/out-160k-exact --no-disclosure-control --quiet
.bench/venv/bin/python scripts/duckdb_route_tables.py "$DATA" Pipelines/referral-equity.yaml .bench/out-160k-exact
