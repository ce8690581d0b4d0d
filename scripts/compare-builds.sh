#!/usr/bin/env bash
# make compare BASELINE=path/to/other/sprx: are two builds' outputs byte-identical?
#
# Runs both builds on the two committed fixtures (canonical, casebook) and on two
# generated 160,128-row sets (plain, seed 1; --messy, seed 7; generated once into
# .bench/), then compares every published file byte for byte (tables, report.html,
# report.md, quarantine/unmapped_labels.csv), the quarantine's rows (decompressed) and
# manifest.json with its run-specific fields left out (times, durations, paths, the
# command line). A refactor must print "identical" for every run.
#
# Environment: BASELINE (required), BIN (default .build/release/sprx), NEW_MANIFEST_KEYS
# (top-level manifest keys the new build adds on purpose, left out of the comparison).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
BASELINE=${BASELINE:?set BASELINE to the sprx build to compare with}
mkdir -p .bench
[ -f .bench/data-160k-plain/generate.json ] || "$BIN" generate --rows 160128 --seed 1 --files 4 --out .bench/data-160k-plain >/dev/null
[ -f .bench/data-160k-messy/generate.json ] || "$BIN" generate --rows 160128 --seed 7 --files 4 --messy --out .bench/data-160k-messy >/dev/null
runs="canonical:Pipelines/referral-equity.yaml:SampleData/canonical
casebook:Pipelines/casebook-export.yaml:SampleData/casebook
160k:Pipelines/referral-equity.yaml:.bench/data-160k-plain
160k-messy:Pipelines/referral-equity.yaml:.bench/data-160k-messy"
status=0
while IFS=: read -r name pipeline input; do
  for side in new old; do
    bin=$BIN; [ $side = old ] && bin=$BASELINE
    # A failed run (a quality gate, say) is compared too: both must fail alike.
    "$bin" run --pipeline "$pipeline" --input "$input" --out ".bench/compare-$name-$side" --quiet 2>".bench/compare-$name-$side.stderr" || true
  done
  a=.bench/compare-$name-new; b=.bench/compare-$name-old; differ=""
  for f in $(cd "$a" && find . -type f ! -name manifest.json ! -name '*.gz' | sort) $(cd "$b" && find . -type f ! -name manifest.json ! -name '*.gz' | sort); do
    cmp -s "$a/$f" "$b/$f" || differ="$differ $f"
  done
  cmp -s <(zcat "$a/quarantine/rejected.csv.gz") <(zcat "$b/quarantine/rejected.csv.gz") || differ="$differ quarantine/rejected.csv.gz"
  NEW_MANIFEST_KEYS=${NEW_MANIFEST_KEYS:-} python3 - "$a/manifest.json" "$b/manifest.json" <<'PY' || differ="$differ manifest.json"
import json, os, sys
RUN_SPECIFIC = {"started_at", "finished_at", "seconds", "fit_seconds", "models_seconds", "command_line", "output_directory", "path"}
def strip(o):
    if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if k not in RUN_SPECIFIC and not k.endswith("_seconds")}
    if isinstance(o, list): return [strip(x) for x in o]
    return o
new = strip(json.load(open(sys.argv[1])))
for key in os.environ.get("NEW_MANIFEST_KEYS", "").split(): new.pop(key, None)
sys.exit(0 if new == strip(json.load(open(sys.argv[2]))) else 1)
PY
  if [ -z "$differ" ]; then echo "$name: identical"; else echo "$name: DIFFERENT:$differ"; status=1; fi
done <<< "$runs"
exit $status
