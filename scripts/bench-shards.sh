#!/usr/bin/env bash
# Issue 29 item 6: what sharding costs, measured. 10,000,000 generated rows in 16 gzip
# files, each file one shard (`sprx run --partial`), run with 1, 2 and 4 shard processes
# at once, then `sprx merge`; and one plain `sprx run` over the same files to compare.
# Prints a markdown table: the shard phase's wall time and largest shard's peak RSS, the
# partials' size (total, and bytes per million input rows), the merge's wall time and
# peak RSS, end to end (shards + merge), and whether the merged folder equals the single
# run (scripts/sharding/compare_outputs.py). A last row runs 2 shards of 8 files each, so
# that partial size and merge memory can be compared at 8x the rows per shard.
#
# Threads: this machine has 2 cores. A shard process gets --jobs 2 when it runs alone and
# --jobs 1 when 2 or 4 run at once (so 2, 2 and 4 threads in all: with 4 shards at once
# the cores are oversubscribed 2x, as one --jobs cannot go below 1). The single run and
# the merge get --jobs 2. Timing by GNU time (/usr/bin/time: apt-get install time).
#
# Data: $DATA (default .bench/data-10m-16files, the 10m-16files cell of scripts/bench.sh:
# `sprx generate --rows 10000000 --files 16 --seed 2026 --organisations 240`, its
# organisation lookup at $DATA.organisations.csv), generated when absent (minutes).
# Environment: BIN (default .build/release/sprx), DATA, WORK (default .bench/shards-10m:
# partials and outputs, several GB at most; removed at the end unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
DATA=${DATA:-.bench/data-10m-16files}
WORK=${WORK:-.bench/shards-10m}
ROWS=10000000   # what it generates when $DATA is absent; the table uses $DATA's own count
[ -x /usr/bin/time ] || { echo "bench-shards: needs GNU time at /usr/bin/time (apt-get install time)" >&2; exit 69; }
"$BIN" merge --help 2>/dev/null | grep -q 'USAGE: sprx merge' || { echo "bench-shards: $BIN has no merge command" >&2; exit 69; }
lookup=$DATA.organisations.csv
if [ ! -f "$DATA/generate.json" ]; then
  echo "bench-shards: generating $ROWS rows in 16 files into $DATA (once; minutes)..." >&2
  mkdir -p "$(dirname "$DATA")"
  "$BIN" generate --rows $ROWS --seed 2026 --files 16 --organisations 240 --organisation-lookup "$lookup" \
    --out "$DATA" --progress none >/dev/null
fi
ROWS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["rowsWritten"])' "$DATA/generate.json")
rm -rf "$WORK"; mkdir -p "$WORK"
# The pipeline as shipped, its lookup the data's organisations, its relative paths absolute.
pipeline=$WORK/pipeline.yaml
sed -e "s#\.\./SampleData/organisations/canonical\.csv#$(realpath "$lookup")#" -e "s#\.\./SampleData/#$PWD/SampleData/#" \
  Pipelines/referral-equity.yaml > "$pipeline"
mapfile -t files < <(ls "$DATA"/*.csv.gz | sort)
[ "${#files[@]}" -eq 16 ] || { echo "bench-shards: $DATA has ${#files[@]} files, not 16" >&2; exit 66; }
echo "bench-shards: $("$BIN" --version 2>&1 | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# timed FILE CMD...: runs CMD under GNU time; FILE gets "wall_s peak_rss_kb".
timed() {
  local f=$1; shift
  /usr/bin/time -o "$f.time" -f '%e %M' "$@" >/dev/null
  tail -1 "$f.time" > "$f"; rm -f "$f.time"
}
now() { date +%s.%N; }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k / 1024}'; }

# The single run.
timed "$WORK/single.t" "$BIN" run --pipeline "$pipeline" --input "${files[@]}" --out "$WORK/single" --jobs 2 --quiet
read -r single_wall single_rss < "$WORK/single.t"

# shard_run NAME CONCURRENT JOBS GROUP: the files in shards of GROUP files each, CONCURRENT
# shard processes at a time with --jobs JOBS, then the merge; appends a table row.
rows_md=()
differs=0
shard_run() {
  local name=$1 conc=$2 jobs=$3 group=$4
  local dir=$WORK/$name parts=$WORK/$name/partials
  mkdir -p "$parts"
  local n=$(( ${#files[@]} / group ))
  local t0 t1; t0=$(now)
  for i in $(seq 0 $((n - 1))); do echo "$i"; done | xargs -P "$conc" -I{} sh -c '
    i=$1; shift; dir=$1; bin=$2; pipeline=$3; jobs=$4; group=$5; shift 5
    start=$((i * group)); k=0; inputs=""
    for f in "$@"; do
      if [ "$k" -ge "$start" ] && [ "$k" -lt $((start + group)) ]; then inputs="$inputs $f"; fi
      k=$((k + 1))
    done
    p=$(printf "%s/partials/shard-%04d.sprxpart" "$dir" "$i")
    # shellcheck disable=SC2086
    /usr/bin/time -o "$dir/shard-$i.t" -f "%e %M" "$bin" run --pipeline "$pipeline" --input $inputs \
      --partial "$p" --jobs "$jobs" --quiet
  ' _ {} "$dir" "$BIN" "$pipeline" "$jobs" "$group" "${files[@]}"
  t1=$(now)
  local shard_wall; shard_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  local shard_rss; shard_rss=$(cat "$dir"/shard-*.t | awk '{if ($2 > m) m = $2} END {print m}')
  local bytes; bytes=$(cat "$parts"/*.sprxpart | wc -c)
  timed "$dir/merge.t" "$BIN" merge --pipeline "$pipeline" --out "$dir/merged" --jobs 2 --quiet "$parts"
  local merge_wall merge_rss; read -r merge_wall merge_rss < "$dir/merge.t"
  local same=no
  if python3 scripts/sharding/compare_outputs.py "$WORK/single" "$dir/merged" > "$dir/compare.txt"; then same=yes; fi
  rows_md+=("| $n × $group file(s) | $conc | $jobs | $((conc * jobs)) | $shard_wall | $(mb "$shard_rss") | $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1048576}') | $(awk -v b="$bytes" -v r="$ROWS" 'BEGIN {printf "%.1f", b / 1048576 / (r / 1e6)}') | $(awk -v b="$bytes" -v n="$n" 'BEGIN {printf "%.1f", b / n / 1048576}') | $merge_wall | $(mb "$merge_rss") | $(awk -v a="$shard_wall" -v b="$merge_wall" 'BEGIN {printf "%.1f", a + b}') | $same |")
  [ "$same" = yes ] || { differs=1; echo "bench-shards: $name: the merge differs from the single run:" >&2; cat "$dir/compare.txt" >&2; }
  rm -rf "$dir/merged"
}

shard_run c1 1 2 1
shard_run c2 2 1 1
shard_run c4 4 1 1
shard_run big 1 2 8

echo
echo "$(printf "%'d" "$ROWS") rows ($(cat "${files[@]}" | wc -c | awk '{printf "%.0f", $1 / 1048576}') MB of gzip in 16 files), $(nproc) cores; times in s, memory in MB (peak RSS)."
echo
echo "| shards × files each | shard processes at once | --jobs each | threads | shard phase s | largest shard peak RSS | partials MB | partial MB per M rows | MB per partial | merge s | merge peak RSS | end to end s | merge = single run |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows_md[@]}"
echo "| single \`sprx run\` (16 files) | 1 | 2 | 2 | | | | | | | | $single_wall (peak RSS $(mb "$single_rss")) | |"
[ "${KEEP:-}" = 1 ] || rm -rf "$WORK"
exit $differs
