#!/usr/bin/env bash
# Issue 17 acceptance check: every crude rate (and standardised rate) in rates_by_group.csv
# equals an independent DuckDB computation from the same 160,128 generated rows and the
# population files the pipeline names. Installs duckdb into .bench/venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
PIPELINE=${PIPELINE:-Pipelines/referral-equity.yaml}
DATA=.bench/data-160k-plain
mkdir -p .bench
if [ ! -x .bench/venv/bin/python ]; then python3 -m venv .bench/venv && .bench/venv/bin/pip install -q duckdb pyyaml; fi
[ -f "$DATA/generate.json" ] || "$BIN" generate --rows 160128 --seed 1 --files 4 --out "$DATA"
"$BIN" run --pipeline "$PIPELINE" --input "$DATA" --out .bench/out-160k-rates --no-disclosure-control --quiet
.bench/venv/bin/python scripts/duckdb_rates.py "$DATA" "$PIPELINE" .bench/out-160k-rates
