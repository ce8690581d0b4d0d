#!/bin/sh
# The cost of blank lines (issue 24): a run over 200 MiB of blank lines, LF and CRLF,
# plain and gzip, beside `gzip -dc` of the same file (the cost of inflating alone) and a
# one-row run (the fixed cost of any run: references, models, report).
#   scripts/bench-blank-lines.sh [SPRX_BINARY]      (default .build/release/sprx)
# Files are made once in $BENCH_DIR (default /tmp/sprx-blank-bench); MIB sets the size.
set -e
B=${1:-.build/release/sprx}
D=${BENCH_DIR:-/tmp/sprx-blank-bench}
N=$(( ${MIB:-200} * 1048576 ))
mkdir -p "$D"
H="referral_id,person_id,referral_date,age,sex,ethnicity,area_code,referral_source,referral_reasons,contacted,contacts,interventions,organisation_id"
R="R1,P1,2021-03-04,40,F,White,E01021988,GP,Anxiety,Y,2,1,U00001"
CR=$(printf '\r')
[ -f "$D/lf.csv" ] || { printf '%s\n%s\n' "$H" "$R"; yes '' | head -c $N; } > "$D/lf.csv"
[ -f "$D/crlf.csv" ] || { printf '%s\r\n%s\r\n' "$H" "$R"; yes "$CR" | head -c $N; } > "$D/crlf.csv"
[ -f "$D/tiny.csv" ] || printf '%s\n%s\n' "$H" "$R" > "$D/tiny.csv"
for f in lf.csv crlf.csv; do [ -f "$D/$f.gz" ] || gzip -6 -c "$D/$f" > "$D/$f.gz"; done
for f in lf.csv crlf.csv lf.csv.gz crlf.csv.gz tiny.csv; do
  out="$D/out-$(echo $f | tr . _)"
  rm -rf "$out"
  /usr/bin/time -f "$f: %e s wall, %U s user, %S s sys, %M KB" env SWIFT_BACKTRACE=enable=no \
    "$B" run --pipeline Pipelines/referral-equity.yaml --input "$D/$f" --out "$out" --quiet --jobs 2 2>&1 | tail -1
  case $f in *.gz) /usr/bin/time -f "  gzip -dc $f: %e s wall, %U s user" sh -c "gzip -dc '$D/$f' > /dev/null" ;; esac
done
