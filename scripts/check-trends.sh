#!/usr/bin/env bash
# Issue 18 acceptance check: every count in trends.csv (and organisations.csv, when
# scripts/duckdb_organisations.py is there, and its case-mix columns, duckdb_case_mix.py)
# equals an independent DuckDB computation
# from the same 160,128 generated rows, and the tables are byte-identical for --jobs 1
# and --jobs 4. Installs duckdb, pyyaml and scipy into .bench/venv on first use.
# Each check is called as: duckdb_X.py --pipeline P --input DATA --tables OUT/tables (exit 1 on any difference).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
PIPELINE=${PIPELINE:-Pipelines/referral-equity.yaml}
DATA=${DATA:-.bench/data-160k-plain}
OUT=.bench/out-160k-trends
mkdir -p .bench
PYTHON=.bench/venv/bin/python
# duckdb and pyyaml for the recounts, scipy (with numpy) for the funnel limits' root finding.
if python3 -c "import duckdb, yaml, scipy" 2>/dev/null; then PYTHON=python3
else
  [ -x "$PYTHON" ] || python3 -m venv .bench/venv
  "$PYTHON" -c "import duckdb, yaml, scipy" 2>/dev/null || .bench/venv/bin/pip install -q duckdb pyyaml scipy
fi
[ -f "$DATA/generate.json" ] || "$BIN" generate --rows 160128 --seed 1 --files 4 --out "$DATA"
"$BIN" run --pipeline "$PIPELINE" --input "$DATA" --out "$OUT" --no-disclosure-control --jobs 4 --quiet
"$BIN" run --pipeline "$PIPELINE" --input "$DATA" --out "$OUT-jobs1" --no-disclosure-control --jobs 1 --quiet
status=0
for table in trends organisations; do
  [ -f "$OUT/tables/$table.csv" ] || continue
  if cmp -s "$OUT/tables/$table.csv" "$OUT-jobs1/tables/$table.csv"; then
    echo "$table.csv: byte-identical for --jobs 1 and --jobs 4"
  else
    echo "$table.csv: differs between --jobs 1 and --jobs 4"; status=1
  fi
done
for check in trends organisations case_mix; do
  [ -f "scripts/duckdb_$check.py" ] || continue
  "$PYTHON" "scripts/duckdb_$check.py" --pipeline "$PIPELINE" --input "$DATA" --tables "$OUT/tables" || status=1
done
exit $status
