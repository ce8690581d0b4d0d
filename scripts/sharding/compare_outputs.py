#!/usr/bin/env python3
"""Are two sprx output folders the same, byte for byte, but for what is run-specific?

Usage: compare_outputs.py EXPECTED ACTUAL

Every file is compared byte for byte (tables, report.html, report.md, models, the
quarantine's unmapped labels), the gzip quarantine by its decompressed rows, and
manifest.json with its run-specific fields left out: times and durations, the command
line, the worker count, the inflater, and `shards` (what a merged run adds: which
partial held which inputs). Prints one line per difference; exits 1 when any.
"""
import gzip
import json
import os
import sys

RUN_SPECIFIC = {"started_at", "finished_at", "command_line", "workers", "inflater", "shards"}


def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in RUN_SPECIFIC and not k.endswith("_seconds")}
    if isinstance(o, list):
        return [strip(x) for x in o]
    return o


def files(root):
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


def main(expected, actual):
    a, b = files(expected), files(actual)
    problems = [f"only in {expected}: {p}" for p in sorted(a - b)] + [f"only in {actual}: {p}" for p in sorted(b - a)]
    for p in sorted(a & b):
        x, y = os.path.join(expected, p), os.path.join(actual, p)
        if p == "manifest.json":
            mx, my = strip(json.load(open(x))), strip(json.load(open(y)))
            if mx != my:
                keys = sorted(k for k in set(mx) | set(my) if mx.get(k) != my.get(k))
                problems.append(f"manifest.json differs in: {', '.join(keys)}")
        elif p.endswith(".gz"):
            if gzip.open(x).read() != gzip.open(y).read():
                problems.append(f"{p} differs (decompressed)")
        elif open(x, "rb").read() != open(y, "rb").read():
            problems.append(f"{p} differs")
    for line in problems:
        print(line)
    if not problems:
        print(f"identical: {len(a)} files")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
