#!/usr/bin/env bash
# make bench: sprx side by side with DuckDB doing the same job and with the zlib floor.
#
# For each data set (160,128 rows in 4 gzip files; 10,000,000 rows in 16), generated
# once by `sprx generate` into .bench/ (outside git), it runs in turn, RUNS times,
# rotating which goes first so machine drift cancels:
#   sprx run --jobs 2 (ingest, clean, dedup, enrich, aggregate, four models, report)
#   DuckDB 2 threads (scripts/bench_duckdb.py: read, normalise, join lookups, band, count)
#   zcat, serial and 2 files at a time (the inflate floor)
# then prints medians, rows/s, MB/s, peak RSS and the ratios, and checks that DuckDB's
# route-type counts equal sprx's table (both did the same work).
#
# Environment: RUNS (default 5 for 160k, 3 for 10M), SIZES ("160k 10m"), BIN.
# BASELINE_PIPELINE: the pipeline file the baseline runs (default the same; an older
# build may not read a newer pipeline's sections: give it that build's own file).
# BASELINE=path/to/another/sprx adds that build to the same rotation and prints
# sprx/baseline (time and peak RSS): a change's cost, measured side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
BASELINE=${BASELINE:-}
PIPELINE=Pipelines/referral-equity.yaml
BASELINE_PIPELINE=${BASELINE_PIPELINE:-$PIPELINE}
SIZES=${SIZES:-"160k 10m"}
mkdir -p .bench
if [ ! -x .bench/venv/bin/python ] || ! .bench/venv/bin/python -c 'import duckdb, yaml' 2>/dev/null; then
  python3 -m venv .bench/venv && .bench/venv/bin/pip install -q duckdb pyyaml
fi
PY=.bench/venv/bin/python
export PYTHONPATH=scripts

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
peak_kb() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }

for size in $SIZES; do
  case $size in
    160k) rows=160128; files=4; seed=1; data=.bench/data-160k-plain; runs=${RUNS:-5} ;;
    10m) rows=10000000; files=16; seed=2026; data=.bench/data-10m; runs=${RUNS:-3} ;;
    *) echo "unknown size $size" >&2; exit 64 ;;
  esac
  if [ ! -f "$data/generate.json" ]; then
    echo "generating $rows rows into $data (once)..." >&2
    "$BIN" generate --rows "$rows" --seed "$seed" --files "$files" --out "$data" >/dev/null
  fi
  gz_bytes=$(cat "$data"/*.csv.gz | wc -c)
  out=.bench/out-$size; duck_csv=.bench/duckdb-$size.csv
  sprx_cmd=("$BIN" run --pipeline "$PIPELINE" --input "$data" --out "$out" --jobs 2 --quiet --no-disclosure-control)
  duck_cmd=("$PY" scripts/bench_duckdb.py "$data" "$PIPELINE" 2 "$duck_csv")
  base_cmd=()
  [ -n "$BASELINE" ] && base_cmd=("$BASELINE" run --pipeline "$BASELINE_PIPELINE" --input "$data" --out "$out-baseline" --jobs 2 --quiet --no-disclosure-control)
  slots=4; [ -n "$BASELINE" ] && slots=5
  t_sprx=(); t_duck=(); t_zcat=(); t_zcat2=(); t_base=()
  for i in $(seq "$runs"); do
    for k in $(seq 0 $((slots - 1))); do
      case $(( (k + i) % slots )) in
        4) s=$(now); "${base_cmd[@]}"; e=$(now); t_base+=("$(echo "$e - $s" | bc)") ;;
        0) s=$(now); "${sprx_cmd[@]}"; e=$(now); t_sprx+=("$(echo "$e - $s" | bc)") ;;
        1) s=$(now); "${duck_cmd[@]}"; e=$(now); t_duck+=("$(echo "$e - $s" | bc)") ;;
        2) s=$(now); zcat "$data"/*.csv.gz > /dev/null; e=$(now); t_zcat+=("$(echo "$e - $s" | bc)") ;;
        3) s=$(now); ls "$data"/*.csv.gz | xargs -P 2 -n 1 sh -c 'zcat "$0" > /dev/null'; e=$(now); t_zcat2+=("$(echo "$e - $s" | bc)") ;;
      esac
    done
  done
  ms=$(median "${t_sprx[@]}"); md=$(median "${t_duck[@]}"); z1=$(median "${t_zcat[@]}"); z2=$(median "${t_zcat2[@]}")
  rss_sprx=$(peak_kb "${sprx_cmd[@]}"); rss_duck=$(peak_kb "${duck_cmd[@]}")
  echo
  echo "== $rows rows, $files gzip files, $gz_bytes bytes compressed; median of $runs alternating runs, 2 cores =="
  printf '%-30s %8s %12s %10s %12s\n' "what" "wall s" "rows/s" "MB/s gz" "peak RSS MB"
  printf '%-30s %8.3f %12.0f %10.1f %12.1f\n' "sprx run --jobs 2" "$ms" "$(echo "$rows / $ms" | bc -l)" "$(echo "$gz_bytes / $ms / 1000000" | bc -l)" "$(echo "$rss_sprx / 1024" | bc -l)"
  printf '%-30s %8.3f %12.0f %10.1f %12.1f\n' "DuckDB $($PY -c 'import duckdb; print(duckdb.__version__)'), 2 threads" "$md" "$(echo "$rows / $md" | bc -l)" "$(echo "$gz_bytes / $md / 1000000" | bc -l)" "$(echo "$rss_duck / 1024" | bc -l)"
  printf '%-30s %8.3f %12.0f %10.1f %12s\n' "zcat floor, serial" "$z1" "$(echo "$rows / $z1" | bc -l)" "$(echo "$gz_bytes / $z1 / 1000000" | bc -l)" "-"
  printf '%-30s %8.3f %12.0f %10.1f %12s\n' "zcat floor, 2 in parallel" "$z2" "$(echo "$rows / $z2" | bc -l)" "$(echo "$gz_bytes / $z2 / 1000000" | bc -l)" "-"
  printf 'ratios: sprx/DuckDB %.2f   sprx/floor(2 parallel) %.2f   sprx/floor(serial) %.2f\n' \
    "$(echo "$ms / $md" | bc -l)" "$(echo "$ms / $z2" | bc -l)" "$(echo "$ms / $z1" | bc -l)"
  if [ -n "$BASELINE" ]; then
    mb=$(median "${t_base[@]}"); rss_base=$(peak_kb "${base_cmd[@]}")
    printf '%-30s %8.3f %12.0f %10.1f %12.1f\n' "baseline $BASELINE" "$mb" "$(echo "$rows / $mb" | bc -l)" "$(echo "$gz_bytes / $mb / 1000000" | bc -l)" "$(echo "$rss_base / 1024" | bc -l)"
    printf 'ratios: sprx/baseline time %.3f   peak RSS %.3f\n' "$(echo "$ms / $mb" | bc -l)" "$(echo "$rss_sprx / $rss_base" | bc -l)"
  fi
  echo "$size $ms $md $z1 $z2 $rss_sprx $rss_duck" >> .bench/results.txt
  "$PY" scripts/bench_check.py "$duck_csv" "$out"
done
if [[ " $SIZES " == *" 160k "* && " $SIZES " == *" 10m "* ]]; then
  r160=$(grep '^160k ' .bench/results.txt | tail -1 | cut -d' ' -f6); r10=$(grep '^10m ' .bench/results.txt | tail -1 | cut -d' ' -f6)
  printf '\npeak RSS: 10M-row run / 160k-row run = %.2f\n' "$(echo "$r10 / $r160" | bc -l)"
fi
