#!/usr/bin/env bash
# Submits a sharded sprx run: the shard array (one task per shard, sprx-shard.sbatch) and
# the merge (sprx-merge.sbatch) that waits for every task to succeed. Prints
# "shards <array job id>" and "merge <merge job id>".
#
# Usage: [SPRX=... PIPELINE=... SHARDS=... PARTIAL_DIR=... OUT_DIR=... REFERENCE_DIR=...] \
#          scripts/slurm/submit.sh [sbatch option...]
# The settings are those at the top of the job scripts; one set in the environment wins
# (sbatch passes the environment on to the jobs). The sbatch options (e.g.
# --partition=short --account=proj) go to both jobs and override their #SBATCH lines.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The settings block of the shard script (the same as the merge script's), so that the
# shard count below is that of the shards the jobs will run.
eval "$(sed -n '/^# >>> settings/,/^# <<< settings/p' "$here/sprx-shard.sbatch")"
export SPRX PIPELINE SHARDS PARTIAL_DIR OUT_DIR REFERENCE_DIR

if [ -d "$SHARDS" ]; then
  shards=$(find "$SHARDS" -mindepth 1 -maxdepth 1 -type d | wc -l)
elif [ -f "$SHARDS" ]; then
  shards=$(grep -c -v -E '^[[:space:]]*(#|$)' "$SHARDS" || true)
else
  echo "submit: no shard list or shard folder at $SHARDS (set SHARDS)" >&2; exit 66
fi
[ "$shards" -gt 0 ] || { echo "submit: $SHARDS names no shard" >&2; exit 64; }
[ -x "$SPRX" ] || { echo "submit: no sprx binary at $SPRX (set SPRX)" >&2; exit 66; }
[ -f "$PIPELINE" ] || { echo "submit: no pipeline at $PIPELINE (set PIPELINE)" >&2; exit 66; }

array=$(sbatch --parsable --array="0-$((shards - 1))" "$@" "$here/sprx-shard.sbatch")
array=${array%%;*}   # --parsable prints "id" or "id;cluster"
merge=$(sbatch --parsable --dependency="afterok:$array" "$@" "$here/sprx-merge.sbatch")
merge=${merge%%;*}
echo "shards $array ($shards tasks)"
echo "merge $merge (after every shard succeeded; output: $OUT_DIR)"
