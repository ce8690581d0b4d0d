#!/usr/bin/env bash
# Issue 4 acceptance check: sprx's models.csv equals R (glm, MASS::glm.nb,
# sandwich::vcovCL HC1) fitted on one row per referral that DuckDB rebuilt
# independently from the same 160,128 generated rows. Needs Rscript with MASS and
# sandwich (Debian: apt-get install r-base-core r-cran-mass r-cran-sandwich);
# installs duckdb and pyyaml into .bench/venv on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
DATA=.bench/data-160k-plain
if ! Rscript -e 'library(MASS); library(sandwich)' >/dev/null 2>&1; then
  echo "check-models needs R with MASS and sandwich: apt-get install r-base-core r-cran-mass r-cran-sandwich" >&2
  exit 2
fi
mkdir -p .bench
if [ ! -x .bench/venv/bin/python ]; then python3 -m venv .bench/venv && .bench/venv/bin/pip install -q duckdb pyyaml; fi
[ -f "$DATA/generate.json" ] || "$BIN" generate --rows 160128 --seed 1 --files 4 --out "$DATA"
"$BIN" run --pipeline Pipelines/referral-equity.yaml --input "$DATA" --out .bench/out-160k-exact --no-disclosure-control --quiet
.bench/venv/bin/python - <<'PY'
import json
m = json.load(open(".bench/out-160k-exact/manifest.json"))
for x in m["models"]:
    print(f"{x['name']:18} {x['status']:7} n_obs {x['n_obs']:7} clusters {x['n_clusters']:4} "
          f"patterns {x['covariate_patterns']:5} entries {x['grouped_entries']:6} fit {x['fit_seconds']:.3f} s")
print(f"model stage wall time (grouping + all fits, concurrent): {m['models_seconds']:.3f} s")
PY
.bench/venv/bin/python scripts/check_models.py "$DATA" Pipelines/referral-equity.yaml .bench/out-160k-exact .bench/check-models
