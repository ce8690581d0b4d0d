#!/usr/bin/env bash
# make bench: sprx run (ingest → clean → enrich → aggregate) on 160,128 generated rows
# in four gzip files, side by side with the zlib floor (zcat), alternating runs so
# machine drift cancels. Data is generated once into .bench/ (outside git).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
RUNS=${RUNS:-5}
DATA=.bench/data-160k
mkdir -p .bench
[ -f "$DATA/generate.json" ] || "$BIN" generate --rows 160128 --seed 2024 --files 4 --messy --out "$DATA" >/dev/null
gz_bytes=$(cat "$DATA"/*.csv.gz | wc -c)
raw_bytes=$(zcat "$DATA"/*.csv.gz | wc -c)
rows=160128
now() { date +%s.%N; }
declare -a t_sprx1 t_sprx2 t_zcat t_zcat2
for i in $(seq "$RUNS"); do
  s=$(now); "$BIN" run --pipeline Pipelines/referral-equity.yaml --input "$DATA" --out .bench/out-bench --jobs 2 --quiet; e=$(now)
  t_sprx2+=("$(echo "$e - $s" | bc)")
  s=$(now); "$BIN" run --pipeline Pipelines/referral-equity.yaml --input "$DATA" --out .bench/out-bench --jobs 1 --quiet; e=$(now)
  t_sprx1+=("$(echo "$e - $s" | bc)")
  s=$(now); zcat "$DATA"/*.csv.gz > /dev/null; e=$(now)
  t_zcat+=("$(echo "$e - $s" | bc)")
  s=$(now); ls "$DATA"/*.csv.gz | xargs -P 2 -n 2 sh -c 'zcat "$@" > /dev/null' _; e=$(now)
  t_zcat2+=("$(echo "$e - $s" | bc)")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m1=$(median "${t_sprx1[@]}"); m2=$(median "${t_sprx2[@]}"); z1=$(median "${t_zcat[@]}"); z2=$(median "${t_zcat2[@]}")
rss=$( { /usr/bin/time -f '%M' "$BIN" run --pipeline Pipelines/referral-equity.yaml --input "$DATA" --out .bench/out-bench --jobs 2 --quiet; } 2>&1 | tail -1)
printf '%-28s %9s %12s %14s %14s\n' "what (median of $RUNS)" "wall s" "rows/s" "MB/s gz in" "MB/s csv"
for pair in "sprx run --jobs 1:$m1" "sprx run --jobs 2:$m2" "zcat floor (serial):$z1" "zcat floor (2 parallel):$z2"; do
  name=${pair%%:*}; t=${pair##*:}
  printf '%-28s %9.3f %12.0f %14.1f %14.1f\n' "$name" "$t" "$(echo "$rows / $t" | bc -l)" "$(echo "$gz_bytes / $t / 1000000" | bc -l)" "$(echo "$raw_bytes / $t / 1000000" | bc -l)"
done
printf 'ratio sprx(jobs 2) / zcat(2 parallel): %.2f\n' "$(echo "$m2 / $z2" | bc -l)"
printf 'peak RSS sprx --jobs 2: %s KB; input %s gz bytes, %s CSV bytes\n' "$rss" "$gz_bytes" "$raw_bytes"
python3 - <<'PY'
import json
m = json.load(open(".bench/out-bench/manifest.json"))
total = sum(x["fit_seconds"] for x in m["models"])
for x in m["models"]:
    print(f"model {x['name']:18} {x['status']:7} patterns {x['covariate_patterns']:5} grouped entries {x['grouped_entries']:6} fit {x['fit_seconds']:.3f} s")
print(f"models: {len(m['models'])} models, {total:.3f} s of fit time, model stage wall time {m['models_seconds']:.3f} s (fits run concurrently)")
PY
