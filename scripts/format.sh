#!/usr/bin/env bash
# make format / make format-check: the code's layout by swift-format (6.3.1, in the
# toolchain), configured by .swift-format.
#
#   scripts/format.sh           reformat Sources, Tests and Package.swift in place
#   scripts/format.sh --check   change nothing; fail (exit 1) naming every file and line
#                               that is not as the formatter would write it
#
# .swift-format is swift-format's defaults but for what the code base already does:
# 4-space indentation; lines up to 160 characters (the code's lines run long, to about
# 150-165; a longer limit reformats fewer files, a shorter one more); code inside
# #if/#else not indented; and these rules off, since the code uses what they forbid
# on purpose: DoNotUseSemicolons (short statements on one line), OneVariableDeclarationPerLine
# (`var a = 0, b = 0`), OneCasePerLine (`case a, b`), AlwaysUseLowerCamelCase (JSON
# keys such as `schema_version`), UseSynthesizedInitializer, UseLetInEveryBoundCaseVariable
# and NoBlockComments (`/* M_MMAP_THRESHOLD */` inside a call).
# Lint is --strict: a warning fails the check. Long string literals the formatter cannot
# break are not reported. The formatter is idempotent on this code base: formatting twice
# changes nothing the second time.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
paths=(Sources Tests Package.swift)
case "${1:-}" in
  --check) exec "$SWIFT" format lint --strict --recursive --parallel "${paths[@]}" ;;
  "") exec "$SWIFT" format format --in-place --recursive --parallel "${paths[@]}" ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 64 ;;
esac
