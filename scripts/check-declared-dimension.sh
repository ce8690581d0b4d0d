#!/usr/bin/env bash
# Issue 26 acceptance check: the expected tables and model terms committed beside the
# declared-dimension fixture (Tests/EndToEndTests/Fixtures/declared-dimension) are what
# DuckDB and statsmodels compute from its export now (scripts/declared_dimension_expected.py
# --check); DeclaredDimensionAcceptanceTests compares sprx with them in `make test`. Installs duckdb,
# pyyaml, pandas and statsmodels into .bench/venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .bench
if [ ! -x .bench/venv/bin/python ]; then python3 -m venv .bench/venv; fi
if ! .bench/venv/bin/python -c 'import duckdb, yaml, pandas, statsmodels' 2>/dev/null; then
  .bench/venv/bin/pip install -q duckdb pyyaml pandas statsmodels
fi
.bench/venv/bin/python scripts/declared_dimension_expected.py Tests/EndToEndTests/Fixtures/declared-dimension --check
