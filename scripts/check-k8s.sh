#!/usr/bin/env bash
# Issue 29 item 5: are scripts/k8s's manifests (the Indexed shard Job, the merge Job, the
# shard list, the claim) sound, and do their scripts do what they say? No cluster needed.
#  1. kubectl client dry-run with strict schema validation, when kubectl can reach an API
#     server; kubectl 1.32 cannot read -f files without one (it asks the server which
#     kinds exist: "unable to recognize ... connection refused"), so otherwise it says so.
#  2. scripts/k8s/check_manifests.py: the fields against the Kubernetes API for the kinds
#     used, the Indexed Job's shape, the shard list, mounts, security, the scripts, and
#     every sprx option against `$BIN run --help` / `$BIN merge --help`; then --self-test,
#     which breaks copies of the manifests and fails unless each one is rejected.
#  3. scripts/k8s/emulate_pods.py: the Jobs' own scripts run here as their pods would, and
#     the merged folder compared with a single sprx run (needs $BIN with `sprx merge`).
# Needs python3 with PyYAML (Debian: python3-yaml); no network.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
K8S=scripts/k8s
python3 -c 'import yaml' 2>/dev/null || { echo "check-k8s: needs PyYAML: apt-get install python3-yaml" >&2; exit 1; }
[ -x "$BIN" ] || { echo "check-k8s: no sprx at $BIN (make build, or BIN=...)" >&2; exit 1; }

if command -v kubectl >/dev/null 2>&1 && kubectl version --request-timeout=5s >/dev/null 2>&1; then
  for f in "$K8S"/*.yaml; do
    kubectl create --dry-run=client --validate=strict -o name -f "$f" >/dev/null || { echo "kubectl rejects $f"; exit 1; }
  done
  echo "kubectl: client dry-run with strict validation accepts $(ls "$K8S"/*.yaml | wc -l) manifests"
elif command -v kubectl >/dev/null 2>&1; then
  echo "kubectl: no API server reachable, and its client dry-run of files needs one: structural check only"
else
  echo "kubectl: not installed: structural check only"
fi

python3 "$K8S/check_manifests.py" --sprx "$BIN"
python3 "$K8S/check_manifests.py" --sprx "$BIN" --self-test | tail -n 1
python3 "$K8S/check_manifests.py" --sprx "$BIN" --self-test >/dev/null

if "$BIN" merge --help 2>/dev/null | grep -q 'USAGE: sprx merge'; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/sprx-k8s.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  python3 "$K8S/emulate_pods.py" --sprx "$BIN" "$work/root"
else
  echo "note: $BIN has no merge command: the pods' scripts were not run"
fi
