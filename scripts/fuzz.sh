#!/usr/bin/env bash
# make fuzz: build the libFuzzer target (Tests/FuzzTarget/FuzzEntry.swift with the oracle
# Tests/SPRXCleanTests/FuzzOracle.swift) against the ingest and clean libraries compiled
# with -sanitize=fuzzer,address, then run it.
#
# FUZZ_RUNS (default 10,000,000 executions) and FUZZ_SECONDS (default 3600) bound the
# run, whichever comes first; FUZZ_JOBS=n runs n processes (libFuzzer -fork=n), default
# the number of cores. Crashes land in .fuzz/crashes/: copy each into
# Tests/FuzzTarget/regressions/ (FuzzReplayTests replays them in `make test`) and fix it.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no   # the backtracer can hang a crashing fuzzer
BUILD=.build-fuzz
SAN="-sanitize=fuzzer,address"
swift build -c release --build-path "$BUILD" --target SPRXClean -Xswiftc "$SAN" >/dev/null
objs=()
for m in SPRXCore SPRXIngest SPRXPipeline SPRXClean Yams CYaml; do
  while IFS= read -r o; do objs+=("$o"); done < <(find "$BUILD/release/$m.build" -name '*.o')
done
swiftc $SAN -O -parse-as-library -g -I "$BUILD/release/Modules" -I Sources/CZlib -I "$BUILD/release/CYaml.build" \
  Tests/FuzzTarget/FuzzEntry.swift Tests/SPRXCleanTests/FuzzOracle.swift "${objs[@]}" -lz -o "$BUILD/sprx-fuzz"
mkdir -p .fuzz/corpus .fuzz/crashes
cp -n Tests/FuzzTarget/seeds/* .fuzz/corpus/ 2>/dev/null || true
"$BUILD/sprx-fuzz" .fuzz/corpus -artifact_prefix=.fuzz/crashes/ -runs="${FUZZ_RUNS:-10000000}" \
  -max_total_time="${FUZZ_SECONDS:-3600}" -max_len=65536 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
  -fork="${FUZZ_JOBS:-$(nproc)}" 2>&1 | tee .fuzz/last-run.log | grep -v "^#[0-9]*.*\(pulse\|REDUCE\|NEW\)" || true
grep -q "ERROR: libFuzzer\|==ERROR\|Fatal error\|deadly signal" .fuzz/last-run.log && { echo "fuzz: crash found, see .fuzz/crashes/" >&2; exit 1; }
echo "fuzz: no crash; stats in .fuzz/last-run.log"
