#!/usr/bin/env bash
# Issue 29 acceptance check: sprx sharded on Spark (local[2]) equals one sprx run.
#
# Installs what it needs: Java 17 (apt-get openjdk-17-jre-headless, when `java` is
# missing or older) and pyspark from PyPI into .bench/venv-spark. Generates 200,000 rows
# in 8 files (with duplicates), adds a file of rows that repeat shard 0's rows exactly and
# shard 1's referral_ids with other content, splits the files into 3 uneven shards, runs
# scripts/spark/sprx_spark.py (tasks: sprx run --partial; driver: sprx merge), runs one
# `sprx run` over all the inputs in shard order, and compares the two output folders with
# scripts/sharding/compare_outputs.py. Then checks that a shard with a truncated input
# fails the job with that shard's exit status (65) and error, and writes no output.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/sprx}
WORK=.bench/spark
VENV=.bench/venv-spark
DATA=$WORK/data-200k
PIPELINE=$WORK/referral-equity.yaml
REFERENCE=SampleData/reference

now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

if [ ! -x "$BIN" ]; then swift build -c release --product sprx; fi

# Java 17 or later (Spark 4 needs 17).
java_major() { java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'; }
if ! command -v java >/dev/null || [ "$(java_major)" -lt 17 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64 PATH=/usr/lib/jvm/java-17-openjdk-amd64/bin:$PATH
fi

mkdir -p "$WORK"
if ! "$VENV/bin/python" -c 'import pyspark' 2>/dev/null; then
  python3 -m venv "$VENV" 2>/dev/null || {
    rm -rf "$VENV"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$VENV"; }
  "$VENV/bin/pip" install -q 'pyspark>=3.5,<5'
fi
export PYSPARK_PYTHON="$PWD/$VENV/bin/python"
echo "check-spark: pyspark $("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)'), $(java -version 2>&1 | head -1)"

# The test set: 200,000 generated rows (2% exact duplicates) in 8 files, and a ninth
# file for the last shard: 300 rows of referrals-001 again (exact duplicates across
# shards) and 50 referral_ids of referrals-004 with another age (conflicts across shards).
[ -f "$DATA/generate.json" ] || "$BIN" generate --rows 200000 --seed 3 --files 8 --duplicates 0.02 --progress none --out "$DATA"
mkdir -p "$WORK/extra"
"$VENV/bin/python" - "$DATA" "$WORK/extra/repeats.csv.gz" <<'EOF'
import csv, gzip, io, sys
data, out = sys.argv[1], sys.argv[2]
def rows(name):
    with gzip.open(f"{data}/{name}", "rt", newline="") as handle:
        return list(csv.reader(handle))
first, fourth = rows("referrals-001.csv.gz"), rows("referrals-004.csv.gz")
header = first[0]
age = header.index("age")
repeats = first[1:301]
conflicts = []
for row in fourth[1:]:
    if row[age].isdigit() and 18 <= int(row[age]) < 90:
        row = list(row)
        row[age] = str(int(row[age]) + 1)
        conflicts.append(row)
    if len(conflicts) == 50:
        break
text = io.StringIO()
csv.writer(text, lineterminator="\n").writerows([header] + repeats + conflicts)
with gzip.GzipFile(out, "wb", mtime=0) as handle:
    handle.write(text.getvalue().encode())
EOF

# Three uneven shards, one line each.
{
  echo "$DATA/referrals-001.csv.gz"
  echo "$DATA/referrals-002.csv.gz $DATA/referrals-003.csv.gz $DATA/referrals-004.csv.gz $DATA/referrals-005.csv.gz $DATA/referrals-006.csv.gz"
  echo "$DATA/referrals-007.csv.gz $DATA/referrals-008.csv.gz $WORK/extra/repeats.csv.gz"
} > "$WORK/shards.txt"
read -r -a ALL_INPUTS <<< "$(tr '\n' ' ' < "$WORK/shards.txt")"

# The sample pipeline with the files it names relative to its folder made absolute, so
# the copy shipped to the executors finds them (scripts/spark/README.md).
sed -e "s#reference_dir: \.\./SampleData/reference#reference_dir: $PWD/SampleData/reference#" \
    -e "s#file: \.\./SampleData/organisations/#file: $PWD/SampleData/organisations/#" \
    Pipelines/referral-equity.yaml > "$PIPELINE"
if grep -v '^ *#' "$PIPELINE" | grep -q '\.\./'; then
  echo "check-spark: FAIL: $PIPELINE still names a file relative to Pipelines/ (update the sed above)"; exit 1
fi

status=0
rm -rf "$WORK/single" "$WORK/merged" "$WORK/partials" "$WORK/failed-out"
start=$(now)
"$BIN" run --pipeline "$PIPELINE" --input "${ALL_INPUTS[@]}" --reference-dir "$REFERENCE" --out "$WORK/single" --quiet
single_seconds=$(took "$start")

start=$(now)
if "$VENV/bin/python" scripts/spark/sprx_spark.py --sprx "$BIN" --pipeline "$PIPELINE" --reference-dir "$REFERENCE" \
     --master 'local[2]' --shard-list "$WORK/shards.txt" --partials-dir "$WORK/partials" --out "$WORK/merged" \
     > "$WORK/spark.log" 2>&1; then
  spark_seconds=$(took "$start")
  grep '^sprx-spark:' "$WORK/spark.log" || true
  # The set must really repeat rows across shards: the ninth file's 300 duplicates and
  # 50 conflicting referral_ids are only found when shard 2 is merged after shards 0 and 1.
  if ! python3 - "$WORK/merged/manifest.json" <<'EOF'
import json, sys
inputs = {i["path"].rsplit("/", 1)[-1]: i for i in json.load(open(sys.argv[1]))["inputs"]}
repeats = inputs["repeats.csv.gz"]
if (repeats["duplicate"], repeats["quarantined"]) != (300, 50):
    sys.exit(f"check-spark: FAIL: repeats.csv.gz counted {repeats['duplicate']} duplicates and "
             f"{repeats['quarantined']} quarantined rows, expected 300 and 50 (cross-shard repeats not exercised)")
EOF
  then status=1
  elif python3 scripts/sharding/compare_outputs.py "$WORK/single" "$WORK/merged"; then
    echo "check-spark: PASS: merged output of 3 shards on Spark local[2] equals one sprx run (${#ALL_INPUTS[@]} inputs; single run ${single_seconds} s, Spark end to end ${spark_seconds} s)"
  else
    echo "check-spark: FAIL: merged output differs from one sprx run (above)"; status=1
  fi
else
  code=$?
  tail -40 "$WORK/spark.log"
  echo "check-spark: FAIL: sprx_spark.py exited $code (log: $WORK/spark.log)"; status=1
fi

# A failing shard fails the job: a truncated gzip in shard 1 (sprx exits 65 naming it).
mkdir -p "$WORK/bad"
head -c 200000 "$DATA/referrals-002.csv.gz" > "$WORK/bad/truncated.csv.gz"
printf '%s\n' "$DATA/referrals-001.csv.gz" "$WORK/bad/truncated.csv.gz" > "$WORK/shards-bad.txt"
set +e
"$VENV/bin/python" scripts/spark/sprx_spark.py --sprx "$BIN" --pipeline "$PIPELINE" --reference-dir "$REFERENCE" \
  --master 'local[2]' --shard-list "$WORK/shards-bad.txt" --out "$WORK/failed-out" > "$WORK/spark-bad.log" 2>&1
code=$?
set -e
report=$(sed -n '/^sprx-spark: shard 1 failed/,$p' "$WORK/spark-bad.log")
if [ "$code" = 65 ] && grep -q 'truncated.csv.gz' <<< "$report" && [ ! -e "$WORK/failed-out" ]; then
  echo "check-spark: PASS: a shard with a truncated input fails the job with exit 65 and the shard's error:"
  grep -m 3 -v '^$' <<< "$report" | sed 's/^/  /'
else
  echo "check-spark: FAIL: a failing shard gave exit $code (expected 65, its error naming truncated.csv.gz, no output; log: $WORK/spark-bad.log)"
  status=1
fi
exit $status
