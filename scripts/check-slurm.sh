#!/usr/bin/env bash
# make check-slurm: a sharded run through a real Slurm on this machine equals one `sprx run`.
#
# Installs Debian's slurm-wlm and munge when missing, starts munged, slurmctld and slurmd
# on localhost as plain processes (no systemd; all state, logs and config in a temporary
# folder, the config named by SLURM_CONF, munged on its own socket), generates a test set
# (ROWS rows, 8 files, 5% repeated rows), splits its files into 3 shards of uneven size
# plus a small file of rows repeating and contradicting shard 0's referrals in the last
# shard, submits scripts/slurm's shard array and dependent merge with
# scripts/slurm/submit.sh (twice: the shards as a shard list file, then as one folder per
# shard), runs one `sprx run` over every shard's inputs in shard order and compares the
# output folders with scripts/sharding/compare_outputs.py. Stops the
# daemons by their PIDs and removes the temporary folder on exit (KEEP=1 keeps it).
# Needs root (apt-get, the daemons, jobs run as root). Also installs python3 when missing
# (the comparison and the test set's repeats are Python).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
BIN=${BIN:-.build/release/sprx}
ROWS=${ROWS:-200000}
PIPELINE=${PIPELINE:-Pipelines/referral-equity.yaml}
# Ports of this check's slurmctld and slurmd (not Slurm's 6817/6818, so that a site's own
# daemons on this machine are not in the way).
CTLD_PORT=${CTLD_PORT:-16817}
SLURMD_PORT=${SLURMD_PORT:-16818}
# How long the jobs may take before the check fails (seconds).
JOB_TIMEOUT=${JOB_TIMEOUT:-1200}

say() { printf 'check-slurm: %s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

[ "$(id -u)" -eq 0 ] || fail "needs root (it installs packages with apt-get and runs slurmctld, slurmd and munged)"
case $BIN in /*) ;; *) BIN=$repo/$BIN ;; esac
case $PIPELINE in /*) ;; *) PIPELINE=$repo/$PIPELINE ;; esac
[ -x "$BIN" ] || fail "no sprx at $BIN (make build)"

# --- install ---------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
   || ! command -v munged >/dev/null || ! command -v munge >/dev/null || ! command -v python3 >/dev/null; then
  say "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurm-wlm munge python3 >/dev/null
fi
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  install -d -m 0700 -o munge -g munge /etc/munge
  mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
fi

# --- state, config, daemons ------------------------------------------------------------
tmp=$(mktemp -d /tmp/sprx-check-slurm.XXXXXX)
pids=()
jobs_submitted=()
cleanup() {
  local status=$?
  set +e
  if [ "${#jobs_submitted[@]}" -gt 0 ] && [ -n "$(squeue -h -j "$(IFS=,; echo "${jobs_submitted[*]}")" 2>/dev/null)" ]; then
    scancel "${jobs_submitted[@]}" 2>/dev/null
    for _ in $(seq 20); do [ -z "$(squeue -h -j "$(IFS=,; echo "${jobs_submitted[*]}")" 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  # Stop in reverse order of start: slurmd, slurmctld, munged.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "${KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$tmp"/{munge,ctld,slurmd,log,run,data,logs}
chmod 0755 "$tmp"

# munged on its own socket, with a copy of the machine's key (the daemons and jobs run as
# root, so root owns the copy).
install -m 0400 /etc/munge/munge.key "$tmp/munge/munge.key"
chmod 0700 "$tmp/munge"
munge_socket=$tmp/munge/munge.socket.2
munged --foreground --force --socket="$munge_socket" --key-file="$tmp/munge/munge.key" \
  --pid-file="$tmp/run/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/munged.seed" \
  >>"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 40); do [ -S "$munge_socket" ] && break; sleep 0.25; done
munge -n -S "$munge_socket" | unmunge -S "$munge_socket" >/dev/null \
  || { cat "$tmp/log/munged.log" "$tmp/log/munged.out" 2>/dev/null; fail "munged does not answer on $munge_socket"; }

# The node as slurmd sees this machine (CPUs, sockets, cores, threads, memory), named localhost.
node=$(slurmd -C | sed -n 's/^NodeName=[^ ]* //p')
[ -n "$node" ] || fail "slurmd -C printed no node line"
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<CONF
# make check-slurm's one-node cluster (written by scripts/check-slurm.sh).
ClusterName=sprxcheck
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$tmp/ctld
SlurmdSpoolDir=$tmp/slurmd
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
# A container without systemd or cgroup delegation: processes tracked by their parent
# ids, no task confinement, no accounting (so no slurmdbd; squeue and scontrol only).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
SlurmdParameters=config_overrides
# Finished jobs stay visible to scontrol for 10 minutes.
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=check Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -D -i >>"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost >>"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
started=$(now)
state=
for _ in $(seq 120); do
  state=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || break 2; done
  sleep 0.5
done
if [ "$state" != idle ]; then
  tail -n 20 "$tmp"/log/*.log "$tmp"/log/*.out 2>/dev/null
  fail "the node is not idle after 60 s (state: ${state:-none}; daemon logs above)"
fi
say "munged, slurmctld and slurmd up, node localhost idle ($node) in $(seconds_since "$started")"

# --- the test set and its shards -------------------------------------------------------
export SPRX_REFERENCE_DIR=$repo/SampleData/reference
data=$tmp/data
started=$(now)
"$BIN" generate --rows "$ROWS" --seed 29 --files 8 --duplicates 0.05 --out "$data/generated" --progress none >/dev/null \
  || fail "sprx generate failed"
mapfile -t files < <(find "$data/generated" -name '*.csv.gz' | LC_ALL=C sort)
[ "${#files[@]}" -eq 8 ] || fail "sprx generate wrote ${#files[@]} files, not 8"
# A referral repeated across shards, and one contradicted: rows 2 and 3 of shard 0's first
# file again in a small file at the end of the last shard, the first byte for byte (a
# duplicate), the second with its contacts changed (a conflicting referral_id).
python3 - "${files[0]}" "$data/repeats.csv.gz" <<'PY'
import csv, gzip, io, sys
with gzip.open(sys.argv[1], "rt", newline="") as f:
    reader = csv.reader(f)
    header, first, second = next(reader), next(reader), next(reader)
contacts = header.index("contacts")
second[contacts] = str(int(second[contacts] or 0) + 7)
out = io.StringIO()
csv.writer(out, lineterminator="\n").writerows([header, first, second])
with gzip.open(sys.argv[2], "wt", newline="") as f:
    f.write(out.getvalue())
PY
shards=$data/shards.txt
{
  echo "# make check-slurm's shards: one line per shard, its inputs in order"
  echo "${files[0]} ${files[1]} ${files[2]}"
  echo "${files[3]}"
  echo "${files[4]} ${files[5]} ${files[6]} ${files[7]} $data/repeats.csv.gz"
} >"$shards"
mapfile -t all_inputs < <(grep -v '^#' "$shards" | tr ' ' '\n')
# The test is only a test when referral ids do repeat across shards: count them.
cross=$(python3 - "$shards" <<'PY'
import csv, gzip, sys
seen = {}
lines = [l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
for shard, inputs in enumerate(lines):
    for path in inputs:
        with gzip.open(path, "rt", newline="") as f:
            for row in list(csv.reader(f))[1:]:
                seen.setdefault(row[0], set()).add(shard)
print(sum(1 for s in seen.values() if len(s) > 1))
PY
)
[ "$cross" -gt 0 ] || fail "no referral_id repeats across shards: the test set does not test the merge"
say "generated $ROWS rows in 8 files (+ 1 of repeats), 3 shards of 3, 1 and 5 files, $cross referral ids in more than one shard, in $(seconds_since "$started")"

# --- the Slurm runs ---------------------------------------------------------------------
# sharded_equals_single NAME SHARDS INPUT...: submits scripts/slurm's shard array and merge
# for SHARDS (a shard list file or a folder of shard folders) with submit.sh, waits for
# them, runs one sprx run over INPUT... (every shard's inputs in shard order) and compares
# the two output folders; fails the check on any difference.
sharded_equals_single() {
  local name=$1 shards=$2 work=$tmp/$1 started submitted array merge states slurm_time
  shift 2
  mkdir -p "$work/logs"
  started=$(now)
  submitted=$(SPRX=$BIN PIPELINE=$PIPELINE SHARDS=$shards PARTIAL_DIR=$work/partials OUT_DIR=$work/merged \
    REFERENCE_DIR=$SPRX_REFERENCE_DIR \
    bash scripts/slurm/submit.sh --cpus-per-task=1 --mem=1G --time=00:30:00 --output="$work/logs/%x-%j.log") \
    || fail "$name: submit.sh could not submit the jobs"
  echo "$submitted" | sed "s/^/check-slurm: $name: submitted /"
  array=$(awk '$1 == "shards" { print $2 }' <<<"$submitted")
  merge=$(awk '$1 == "merge" { print $2 }' <<<"$submitted")
  [ -n "$array" ] && [ -n "$merge" ] || fail "$name: submit.sh printed no job ids"
  jobs_submitted+=("$array" "$merge")
  local deadline=$(($(date +%s) + JOB_TIMEOUT))
  while [ -n "$(squeue -h -j "$array,$merge" -o %i 2>/dev/null)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { squeue -j "$array,$merge"; fail "$name: the jobs did not finish in $JOB_TIMEOUT s"; }
    sleep 1
  done
  slurm_time=$(seconds_since "$started")
  states=$(for id in "$array" "$merge"; do scontrol -o show job "$id"; done | awk '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = substr($i, length(kv[1]) + 2) }
    id = ("ArrayTaskId" in f) ? f["ArrayJobId"] "_" f["ArrayTaskId"] : f["JobId"]
    print f["JobName"], id, f["JobState"], "exit", f["ExitCode"]; delete f }' | sort -k2,2V)
  echo "$states" | sed "s/^/check-slurm: $name:   /"
  if echo "$states" | grep -qv ' COMPLETED exit 0:0$' || [ ! -f "$work/merged/manifest.json" ]; then
    for log in "$work"/logs/*.log; do echo "--- $log"; tail -n 20 "$log"; done
    fail "$name: a job did not complete (job logs above)"
  fi
  say "$name: shard array and merge done through Slurm in $slurm_time (wall, from submission)"
  started=$(now)
  "$BIN" run --pipeline "$PIPELINE" --input "$@" --out "$work/single" --quiet \
    || fail "$name: the single sprx run failed (exit $?)"
  say "$name: one sprx run over the same inputs in $(seconds_since "$started")"
  python3 scripts/sharding/compare_outputs.py "$work/single" "$work/merged" \
    || fail "$name: the merged output differs from one sprx run (differences above)"
  say "$name: the merged output equals one sprx run's ($(find "$work/merged" -type f | wc -l) files)"
}

# The shards as a shard list file, one line of input files per shard.
sharded_equals_single shard-list "$shards" "${all_inputs[@]}"
# The same shards as one folder per shard (the files copied in; a folder is read in name
# order, and repeats.csv.gz sorts after the referrals files).
folders=$data/shard-folders
for shard in 0 1 2; do
  mkdir -p "$folders/shard-$shard"
  read -r -a inputs <<<"$(grep -v '^#' "$shards" | sed -n "$((shard + 1))p")"
  cp "${inputs[@]}" "$folders/shard-$shard/"
done
sharded_equals_single shard-folders "$folders" "$folders/shard-0" "$folders/shard-1" "$folders/shard-2"
say "PASS: 3 Slurm shards merged equal one sprx run, from a shard list and from shard folders"
