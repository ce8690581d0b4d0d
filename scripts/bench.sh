#!/usr/bin/env bash
# make bench: sprx side by side with DuckDB doing the same job, over a matrix of shapes.
#
# Each cell is a data set `sprx generate` writes once into .bench/data-CELL (outside git;
# its organisation lookup beside it, and a copy of the pipeline naming that lookup in
# .bench/pipeline-CELL.yaml). For each cell it runs in turn, RUNS times, rotating which
# goes first so machine drift cancels:
#   sprx run --jobs 2 (ingest, clean, dedup, enrich, aggregate, four models, report)
#   DuckDB 2 threads (scripts/bench_duckdb.py: read, take out repeats and invalid rows as
#     sprx does, normalise, join lookups, band; route type, route, pathway, rates and
#     organisation tables)
#   BASELINE (another sprx build), when set
# each under /usr/bin/time: wall, CPU (user + sys) and peak RSS, medians over the runs.
# It checks DuckDB's route-type counts equal sprx's table (bench_check.py) and, at the
# end, prints one table of every cell: ratios sprx/DuckDB and the issue-28 targets
# (wall <= 0.5 x DuckDB; peak RSS <= 200 MB for the 10M cells and 2m-6500org;
# 200k-50000org's RSS <= 1.3 x the 160k cell's).
#
# Cells (name: rows, files, organisations, other): see cell() below and docs/performance.md.
# Environment: CELLS (default "160k"; "all" for every cell), RUNS (default 3), BIN.
# BASELINE=path/to/another/sprx adds that build to the rotation and prints sprx/baseline.
# BASELINE_PIPELINE: the pipeline the baseline runs for cells on the default organisations
# (default the same; an older build may not read a newer pipeline's sections).
# ZCAT=1 adds the zcat floor (serial) to the rotation.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
BASELINE=${BASELINE:-}
PIPELINE=Pipelines/referral-equity.yaml
BASELINE_PIPELINE=${BASELINE_PIPELINE:-$PIPELINE}
ALL_CELLS="160k 10m-16files 10m-1file 2m-1300org 2m-6500org 200k-50000org 2m-messy 2m-dup5 2m-60months"
# SIZES (the single-shape bench's variable): 160k and 10m are the cells 160k and 10m-16files.
[ -z "${CELLS:-}" ] && [ -n "${SIZES:-}" ] && CELLS=$(echo "$SIZES" | sed 's/\b10m\b/10m-16files/')
CELLS=${CELLS:-160k}
[ "$CELLS" = all ] && CELLS=$ALL_CELLS
RUNS=${RUNS:-3}
ZCAT=${ZCAT:-}
mkdir -p .bench
if [ ! -x .bench/venv/bin/python ] || ! .bench/venv/bin/python -c 'import duckdb, yaml' 2>/dev/null; then
  python3 -m venv .bench/venv && .bench/venv/bin/pip install -q duckdb pyyaml
fi
PY=.bench/venv/bin/python
export PYTHONPATH=scripts
[ -x /usr/bin/time ] || { echo "bench: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 69; }

# cell NAME: sets rows files seed orgs (empty: the default set) and the generate options.
cell() {
  rows=2000000; files=4; seed=2026; orgs=1300; extra=(--months 20); mode=plain
  case $1 in
    160k) rows=160128; seed=1; orgs=; extra=() ;;
    10m-16files) rows=10000000; files=16; orgs=240; extra=() ;;
    10m-1file) rows=10000000; files=1; orgs=240; extra=() ;;
    2m-1300org) ;;
    2m-6500org) orgs=6500 ;;
    200k-50000org) rows=200000; orgs=50000; extra=() ;;
    2m-messy) extra+=(--messy); mode=ledger ;;
    2m-dup5) extra+=(--duplicates 0.05); mode=dedup ;;
    2m-60months) extra=() ;;
    *) echo "bench: unknown cell $1 (cells: $ALL_CELLS)" >&2; exit 64 ;;
  esac
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed LABEL CMD...: runs CMD under GNU time, appends "wall cpu rss_kb" to the LABEL list.
declare -A T_WALL T_CPU T_RSS
timed() {
  local label=$1; shift
  local tf; tf=$(mktemp)
  /usr/bin/time -o "$tf" -f '%e %U %S %M' "$@" >/dev/null
  read -r w u s m < <(tail -1 "$tf"); rm -f "$tf"
  T_WALL[$label]="${T_WALL[$label]:-} $w"; T_CPU[$label]="${T_CPU[$label]:-} $(echo "$u + $s" | bc)"; T_RSS[$label]="${T_RSS[$label]:-} $m"
}

# The build and, once sprx reports it, its inflater (the ISA-L/zlib seam): `sprx --version`'s lines naming it.
echo "bench: $("$BIN" --version 2>&1 | grep -iE '^sprx|inflat' | tr '\n' ' ')" >&2
echo "bench: DuckDB $($PY -c 'import duckdb; print(duckdb.__version__)'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), RUNS=$RUNS, SPRX_INFLATE=${SPRX_INFLATE:-unset}" >&2
summary=.bench/summary-$$.txt; : > "$summary"
check_failed=0
for name in $CELLS; do
  cell "$name"
  data=.bench/data-$name; lookup=.bench/data-$name.organisations.csv; pipeline=$PIPELINE; base_pipeline=$BASELINE_PIPELINE
  [ "$name" = 160k ] && data=.bench/data-160k-plain   # the set compare-builds.sh also uses
  if [ ! -f "$data/generate.json" ]; then
    echo "generating cell $name: $rows rows, $files files, ${orgs:-default} organisations ${extra[*]:-} into $data (once)..." >&2
    org_args=(); [ -n "$orgs" ] && org_args=(--organisations "$orgs" --organisation-lookup "$lookup")
    "$BIN" generate --rows "$rows" --seed "$seed" --files "$files" "${org_args[@]}" "${extra[@]}" --out "$data" --progress none >/dev/null
  fi
  if [ -n "$orgs" ]; then
    # The pipeline as shipped, its lookup the cell's organisations, its relative paths absolute.
    pipeline=.bench/pipeline-$name.yaml; base_pipeline=$pipeline
    sed -e "s#\.\./SampleData/organisations/canonical\.csv#$PWD/$lookup#" -e "s#\.\./SampleData/#$PWD/SampleData/#" $PIPELINE > "$pipeline"
  fi
  gz_bytes=$(cat "$data"/*.csv.gz | wc -c)
  out=.bench/out-$name; duck_csv=.bench/duckdb-$name.csv
  T_WALL=(); T_CPU=(); T_RSS=()
  slots=(sprx duckdb); [ -n "$BASELINE" ] && slots+=(baseline); [ -n "$ZCAT" ] && slots+=(zcat)
  for i in $(seq "$RUNS"); do
    for k in $(seq 0 $((${#slots[@]} - 1))); do
      case ${slots[$(( (k + i) % ${#slots[@]} ))]} in
        sprx) timed sprx "$BIN" run --pipeline "$pipeline" --input "$data" --out "$out" --jobs 2 --quiet --no-disclosure-control ;;
        duckdb) timed duckdb "$PY" scripts/bench_duckdb.py "$data" "$pipeline" 2 "$duck_csv" "$mode" ;;
        baseline) timed baseline "$BASELINE" run --pipeline "$base_pipeline" --input "$data" --out "$out-baseline" --jobs 2 --quiet --no-disclosure-control ;;
        zcat) timed zcat sh -c "zcat $data/*.csv.gz" ;;
      esac
    done
  done
  echo
  echo "== $name: $rows rows, $files gzip files ($gz_bytes bytes), ${orgs:-120} organisations ${extra[*]:-}; median of $RUNS alternating runs =="
  printf '%-28s %9s %9s %12s %11s\n' "what" "wall s" "CPU s" "rows/s" "peak RSS MB"
  declare -A MW MC MR
  for label in "${slots[@]}"; do
    # shellcheck disable=SC2086
    MW[$label]=$(median ${T_WALL[$label]}); MC[$label]=$(median ${T_CPU[$label]}); MR[$label]=$(median ${T_RSS[$label]})
    printf '%-28s %9.2f %9.2f %12.0f %11.1f\n' "$label" "${MW[$label]}" "${MC[$label]}" "$(echo "$rows / ${MW[$label]}" | bc -l)" "$(echo "${MR[$label]} / 1024" | bc -l)"
  done
  rw=$(echo "${MW[sprx]} / ${MW[duckdb]}" | bc -l); rc=$(echo "${MC[sprx]} / ${MC[duckdb]}" | bc -l); rr=$(echo "${MR[sprx]} / ${MR[duckdb]}" | bc -l)
  printf 'ratios sprx/DuckDB: wall %.2f  CPU %.2f  peak RSS %.2f\n' "$rw" "$rc" "$rr"
  if [ -n "$BASELINE" ]; then
    printf 'ratios sprx/baseline: wall %.3f  CPU %.3f  peak RSS %.3f\n' "$(echo "${MW[sprx]} / ${MW[baseline]}" | bc -l)" \
      "$(echo "${MC[sprx]} / ${MC[baseline]}" | bc -l)" "$(echo "${MR[sprx]} / ${MR[baseline]}" | bc -l)"
  fi
  if "$PY" scripts/bench_check.py "$duck_csv" "$out"; then same=yes; else same=NO; check_failed=1; fi
  echo "$name ${MW[sprx]} ${MW[duckdb]} ${MC[sprx]} ${MC[duckdb]} ${MR[sprx]} ${MR[duckdb]} $same" >> "$summary"
  echo "$(date -u +%FT%TZ) $name ${MW[sprx]} ${MW[duckdb]} ${MC[sprx]} ${MC[duckdb]} ${MR[sprx]} ${MR[duckdb]} $same" >> .bench/results.txt
done

# The summary: one line per cell, with the targets of issue 28.
echo
echo "== summary (medians of $RUNS; wall and CPU in s, peak RSS in MB; target: wall <= 0.5 x DuckDB, RSS as noted) =="
printf '%-14s %8s %8s %6s %8s %8s %6s %8s %8s %6s %5s  %s\n' cell "sprx" "DuckDB" "wall" "sprx" "DuckDB" "CPU" "sprx" "DuckDB" "RSS" same targets
printf '%-14s %8s %8s %6s %8s %8s %6s %8s %8s %6s %5s\n' "" wall wall ratio CPU CPU ratio RSS RSS ratio table
# The 160k cell's peak RSS, for the 200k-50000org target (this run's, else the last recorded).
rss160=$(awk '$1 == "160k" {print $6}' "$summary" | tail -1)
[ -z "$rss160" ] && rss160=$(awk '$2 == "160k" {print $7}' .bench/results.txt 2>/dev/null | tail -1)
while read -r name sw dw sc dc sr dr same; do
  verdict=$(awk -v sw="$sw" -v dw="$dw" 'BEGIN {print (sw <= 0.5 * dw) ? "wall ok" : "wall MISSED"}')
  case $name in
    10m-*|2m-6500org) verdict+=$(awk -v r="$sr" 'BEGIN {print (r <= 200 * 1024) ? ", RSS<=200MB ok" : ", RSS<=200MB MISSED"}') ;;
    200k-50000org)
      if [ -n "$rss160" ]; then
        verdict+=$(awk -v r="$sr" -v b="$rss160" 'BEGIN {printf ", RSS %.2fx 160k %s", r / b, (r <= 1.3 * b) ? "ok" : "MISSED"}')
      else verdict+=", RSS vs 160k: run CELLS=160k too"; fi ;;
  esac
  printf '%-14s %8.2f %8.2f %6.2f %8.2f %8.2f %6.2f %8.0f %8.0f %6.2f %5s  %s\n' "$name" "$sw" "$dw" "$(echo "$sw / $dw" | bc -l)" \
    "$sc" "$dc" "$(echo "$sc / $dc" | bc -l)" "$(echo "$sr / 1024" | bc -l)" "$(echo "$dr / 1024" | bc -l)" "$(echo "$sr / $dr" | bc -l)" "$same" "$verdict"
done < "$summary"
rm -f "$summary"
exit $check_failed
