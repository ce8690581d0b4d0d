#!/usr/bin/env python3
"""Runs the shard and merge Jobs' own scripts on this machine, as their pods would.

Usage: emulate_pods.py --sprx BIN WORKDIR

No cluster: each pod's /bin/sh -c script is taken from shards-job.yaml and
merge-job.yaml, its mount paths (/config, /inputs, /partials, ...) moved under WORKDIR
(one folder per mount, as the claim's subPaths would be), `sprx` put on PATH, and run
with JOB_COMPLETION_INDEX set as the Job controller sets it, two shards at a time. Data:
`sprx generate` (messy, with duplicates) in 5 files, and a sixth repeating rows of the
first (and one of them with another age), as 5 shards, one of them two files.
Then checks:
  - every shard exits 0 and writes shard-NNNN.sprxpart, owner-only (mode 0600);
  - an index past the shard list exits 64 and writes nothing;
  - the merge exits 0 and its folder equals a single `sprx run` over the same inputs in
    shard order (scripts/sharding/compare_outputs.py);
  - with the inputs moved after the shards ran, the merge fails naming an input file
    (the shared-path requirement: it re-reads repeated referrals' files);
  - the merge refuses (exit 66) when a shard's partial is missing and (exit 64) when the
    folder holds one partial more than the shard list names.
Exit 0 when all hold; prints one line per check.
"""
import csv
import gzip
import io
import os
import re
import shutil
import stat
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def container(manifest):
    """The sprx container of the Job in manifest (a file of this folder)."""
    with open(os.path.join(HERE, manifest)) as f:
        job = next(d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Job")
    return job["spec"]["template"]["spec"]["containers"][0]


def rooted(script, mounts, root):
    """script with each mount path moved under root."""
    paths = sorted((m["mountPath"] for m in mounts), key=len, reverse=True)
    pattern = r"(?<![\w./-])(" + "|".join(map(re.escape, paths)) + r")(?=/|\s|\"|'|$)"
    return re.sub(pattern, lambda m: root + m.group(1), script, flags=re.M)


def main(argv):
    if len(argv) != 3 or argv[0] != "--sprx":
        sys.exit(__doc__)
    binary, root = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    shutil.rmtree(root, ignore_errors=True)
    shard_c, merge_c = container("shards-job.yaml"), container("merge-job.yaml")
    mounts = {m["mountPath"] for m in shard_c["volumeMounts"] + merge_c["volumeMounts"]}
    for mount in mounts:
        os.makedirs(root + mount)
    os.makedirs(f"{root}/bin")
    os.symlink(binary, f"{root}/bin/sprx")
    env = {**os.environ, "PATH": f"{root}/bin:{os.environ['PATH']}", "SWIFT_BACKTRACE": "enable=no"}

    # The claim's contents: inputs, reference data, the pipeline (with the organisation
    # lookup its relative path names), the shard list.
    subprocess.run([binary, "generate", "--rows", "24000", "--seed", "3", "--files", "5", "--messy",
                    "--duplicates", "0.05", "--out", f"{root}/inputs", "--progress", "none",
                    "--reference-dir", os.path.join(REPO, "SampleData/reference")],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    # A sixth file, a shard of its own, repeating the first file's rows 1-40 byte for byte
    # and row 41 with another age: referrals repeated and a referral_id in conflict
    # across shards, which the merge decides by re-reading those shards' files.
    # (Bytes: the messy rows are not all UTF-8, and their line ends vary.)
    with gzip.open(f"{root}/inputs/referrals-001.csv.gz", "rb") as f:
        lines = f.read().split(b"\n")
    end = "\r" if lines[41].endswith(b"\r") else ""
    row = next(csv.reader([lines[41].rstrip(b"\r").decode("latin-1")]))
    row[3] = "33" if row[3] != "33" else "34"
    changed = io.StringIO()
    csv.writer(changed, lineterminator=end).writerow(row)
    with gzip.open(f"{root}/inputs/referrals-006.csv.gz", "wb") as f:
        f.write(b"\n".join(lines[:41] + [changed.getvalue().encode("latin-1"), b""]))
    os.rmdir(f"{root}/reference")
    os.symlink(os.path.join(REPO, "SampleData/reference"), f"{root}/reference")
    shutil.copy(os.path.join(REPO, "Pipelines/referral-equity.yaml"), f"{root}/pipelines/pipeline.yaml")
    os.makedirs(f"{root}/SampleData/organisations")
    shutil.copy(os.path.join(REPO, "SampleData/organisations/canonical.csv"), f"{root}/SampleData/organisations/")
    files = sorted(f"/inputs/{n}" for n in os.listdir(f"{root}/inputs") if n.endswith(".csv.gz"))
    shards = [[files[0]], files[1:3], [files[3]], [files[4]], [files[5]]]
    with open(f"{root}/config/shards.txt", "w") as f:   # its paths moved under root too
        f.write("".join(" ".join(root + p for p in s) + "\n" for s in shards))

    failures = []

    def expect(ok, what):
        print(("ok: " if ok else "FAILED: ") + what)
        if not ok:
            failures.append(what)

    shard_script = rooted(shard_c["command"][2], shard_c["volumeMounts"], root)
    merge_script = rooted(merge_c["command"][2], merge_c["volumeMounts"], root)

    def pod(script, index=None, jobs=1):
        e = {**env, "SPRX_JOBS": str(jobs), "TMPDIR": f"{root}/tmp"}
        if index is not None:
            e["JOB_COMPLETION_INDEX"] = str(index)
        return subprocess.Popen(["/bin/sh", "-c", script], env=e, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    # The Indexed Job, parallelism 2.
    statuses = {}
    for start in range(0, len(shards), 2):
        running = {i: pod(shard_script, i) for i in range(start, min(start + 2, len(shards)))}
        for i, p in running.items():
            out, _ = p.communicate()
            statuses[i] = p.returncode
            if p.returncode != 0:
                print(out)
    expect(all(s == 0 for s in statuses.values()), f"{len(shards)} shard pods exit 0 ({statuses})")
    partials = sorted(os.listdir(f"{root}/partials"))
    expect(partials == [f"shard-{i:04d}.sprxpart" for i in range(len(shards))], f"partials {partials}")
    modes = {n: stat.S_IMODE(os.stat(f"{root}/partials/{n}").st_mode) for n in partials}
    expect(all(m & 0o077 == 0 for m in modes.values()),
           "partials are owner-only: " + ", ".join(f"{n} {m:04o}" for n, m in modes.items()))
    p = pod(shard_script, len(shards))
    out, _ = p.communicate()
    expect(p.returncode == 64 and len(os.listdir(f"{root}/partials")) == len(shards),
           f"index {len(shards)} (past the shard list) exits 64, writes nothing (exit {p.returncode})")

    # The merge Job, then a single run over the same inputs in shard order.
    p = pod(merge_script, jobs=2)
    out, _ = p.communicate()
    if p.returncode != 0:
        print(out)
    expect(p.returncode == 0, f"the merge pod exits 0 (exit {p.returncode})")
    single = subprocess.run([binary, "run", "--pipeline", f"{root}/pipelines/pipeline.yaml", "--reference-dir",
                             f"{root}/reference", "--input", *[root + f for s in shards for f in s],
                             "--out", f"{root}/single", "--jobs", "2", "--quiet"], env=env)
    expect(single.returncode == 0, "a single sprx run over the same inputs exits 0")
    cmp = subprocess.run([sys.executable, os.path.join(REPO, "scripts/sharding/compare_outputs.py"),
                          f"{root}/single", f"{root}/outputs/run"], capture_output=True, text=True)
    expect(cmp.returncode == 0, "the merged folder equals the single run: " + cmp.stdout.strip().replace("\n", "; "))

    # The shared-path requirement: with the inputs moved after the shards ran, the merge
    # cannot re-read the repeated referrals' files, and fails (naming the file).
    os.rename(f"{root}/inputs", f"{root}/inputs-moved")
    p = pod(merge_script)
    out, _ = p.communicate()
    os.rename(f"{root}/inputs-moved", f"{root}/inputs")
    expect(p.returncode != 0 and "referrals-00" in out,
           f"with the inputs moved away the merge fails naming an input (exit {p.returncode}: "
           f"{out.strip().splitlines()[-1] if out.strip() else ''})")

    # The merge's own guards.
    if failures:
        print(f"emulated pods: {len(failures)} checks failed")
        return 1
    os.rename(f"{root}/partials/shard-0002.sprxpart", f"{root}/shard-0002.sprxpart")
    p = pod(merge_script)
    p.communicate()
    expect(p.returncode == 66, f"the merge refuses a missing shard-0002 with exit 66 (exit {p.returncode})")
    os.rename(f"{root}/shard-0002.sprxpart", f"{root}/partials/shard-0002.sprxpart")
    stale = f"{root}/partials/shard-{len(shards):04d}.sprxpart"
    shutil.copy(f"{root}/partials/shard-0000.sprxpart", stale)
    p = pod(merge_script)
    p.communicate()
    expect(p.returncode == 64, f"the merge refuses a partial beyond the shard list with exit 64 (exit {p.returncode})")
    os.remove(stale)
    print(f"emulated pods: {len(failures) == 0 and 'all checks passed' or f'{len(failures)} checks failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
