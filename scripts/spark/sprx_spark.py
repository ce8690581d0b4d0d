#!/usr/bin/env python3
"""Run sprx on Spark: one shard per task, the partials merged on the driver.

Usage:
  sprx_spark.py --sprx BIN --pipeline P --out OUT
                (--shard-list FILE | --shard-folder DIR [--shard-folder DIR ...])
                [--reference-dir DIR] [--reference-on-shared-path] [--pipeline-on-shared-path]
                [--master URL] [--workdir DIR] [--jobs-per-task N] [--merge-jobs N]
                [--partials-dir DIR] [--chunk-mib N] [--no-disclosure-control] [--quiet]

What it does (scripts/spark/README.md says why, and how to run it on Databricks):
  1. copies the sprx binary, the pipeline and (unless --reference-on-shared-path) the
     reference folder to a local staging folder on the driver and ships them to every
     executor with SparkContext.addFile;
  2. runs one shard per task: sc.parallelize(shards, len(shards))
     .mapPartitionsWithIndex(...), each task calling
       sprx run --pipeline <shipped> --input <the shard's inputs, in order>
                --partial <task tmp>/shard-NNNN.sprxpart --jobs N --quiet
     in --workdir, and returning the partial's bytes in chunks (--chunk-mib);
  3. writes the partials on the driver in shard order (shard-0000.sprxpart, ...),
     then runs on the driver
       sprx merge --pipeline P --out OUT [--reference-dir DIR] shard-0000.sprxpart ...
     which writes exactly the output folder of one `sprx run` over all the shards'
     inputs in shard order.

Shards: --shard-list FILE has one line per shard, the shard's input files or folders
separated by spaces (shell quoting for paths with spaces; blank lines and lines
starting with # are skipped); or each --shard-folder DIR is one shard. Input paths are
passed to sprx as written, and the driver and every sprx (task or merge) run in
--workdir (default: the driver's working directory; the other paths are relative to it
too), so relative paths mean the same everywhere only when
--workdir is the same shared folder on every node: on a cluster give absolute paths on
storage every node mounts (the merge may re-read a shard's inputs at the paths the
shard saw).

Memory: a task holds one chunk of its partial at a time; the partials are cached
(memory and disk) on the executors, then fetched with toLocalIterator, one shard at a
time, so the driver holds at most one shard's partial (in the JVM) plus one chunk (in
Python), and spark.driver.maxResultSize must exceed the largest partial. A
partial grows with its shard's rows (a record per clean row, for finding repeats across
shards; docs/sharding.md), so the largest shard sets the driver's memory.

Exit status: 0 when the merge wrote OUT; 64 for a bad argument; when a shard fails, the
exit status of that shard's `sprx run` (its stderr is printed; sprx writes no raw values
there); when the merge fails, the merge's; 1 when Spark itself fails.
"""
import argparse
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

# The names the shipped files have in each executor's SparkFiles folder.
SHIPPED_BINARY = "sprx"
SHIPPED_REFERENCE = "sprx-reference"
# The marks around a failed shard's report in the exception text Spark carries back.
FAILURE_OPEN = "[sprx-spark shard {index} exit {status}]"
FAILURE_PATTERN = re.compile(r"\[sprx-spark shard (\d+) exit (-?\d+)\]\n(.*?)\n\[/sprx-spark\]", re.S)
FAILURE_CLOSE = "[/sprx-spark]"


class UsageError(Exception):
    """A bad argument: exit 64."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage error exits 64 (EX_USAGE) as sprx's do, not 2."""

    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"sprx_spark.py: error: {message}", file=sys.stderr)
        sys.exit(64)


def partial_name(index, count):
    """The partial's file name for shard `index` of `count`, zero-padded so names sort in shard order."""
    width = max(4, len(str(count - 1)))
    return f"shard-{index:0{width}d}.sprxpart"


def read_shard_list(path):
    """The shards of a shard list file: one line per shard, its inputs shell-split."""
    shards = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            try:
                shards.append(shlex.split(text))
            except ValueError as error:
                raise UsageError(f"{path}:{number}: {error}")
    return shards


def check_shards(shards, workdir):
    """Refuses no shards, or an input the driver cannot see from --workdir."""
    if not shards:
        raise UsageError("no shards: give --shard-list FILE or --shard-folder DIR")
    for index, inputs in enumerate(shards):
        for path in inputs:
            if not os.path.exists(os.path.join(workdir, path)):
                raise UsageError(f"shard {index}: input {path} not found (from {workdir})")


def stage(args, staging):
    """Copies what the tasks need into the local folder `staging`; returns what to addFile.

    A plain copy with Python first (not addFile straight from the source) because
    Spark's addFile runs in the JVM, which on Databricks cannot read a volume's or
    workspace file's POSIX path; the copy also pins the bytes the tasks run."""
    shipped = []
    binary = os.path.join(staging, SHIPPED_BINARY)
    shutil.copyfile(args.sprx, binary)
    os.chmod(binary, 0o755)
    shipped.append((binary, False))
    if not args.pipeline_on_shared_path:
        pipeline = os.path.join(staging, os.path.basename(args.pipeline))
        shutil.copyfile(args.pipeline, pipeline)
        shipped.append((pipeline, False))
    if args.reference_dir and not args.reference_on_shared_path:
        reference = os.path.join(staging, SHIPPED_REFERENCE)
        shutil.copytree(args.reference_dir, reference)
        shipped.append((reference, True))
    return shipped


def shard_task(settings):
    """The function each task runs over its one shard (a closure Spark pickles to the executors)."""

    def run(partition, records):
        import hashlib
        import os
        import shutil
        import subprocess
        import tempfile
        import time
        from pyspark import SparkFiles

        records = list(records)
        if len(records) != 1 or records[0][0] != partition:
            raise RuntimeError(f"partition {partition} holds {len(records)} shards, expected only shard {partition}")
        index, inputs = records[0]
        binary = SparkFiles.get(SHIPPED_BINARY)
        if not os.access(binary, os.X_OK):
            os.chmod(binary, 0o755)
        if settings["pipeline_shipped"]:
            pipeline = SparkFiles.get(settings["pipeline_name"])
        else:
            pipeline = settings["pipeline"]
        command = [binary, "run", "--pipeline", pipeline, "--input", *inputs]
        if settings["reference_shipped"]:
            command += ["--reference-dir", SparkFiles.get(SHIPPED_REFERENCE)]
        elif settings["reference_dir"]:
            command += ["--reference-dir", settings["reference_dir"]]
        scratch = tempfile.mkdtemp(prefix=f"sprx-shard-{index:04d}-")
        try:
            partial = os.path.join(scratch, settings["partial_names"][index])
            # Numbered, so the merge refuses a shard missing, repeated or out of order.
            command += ["--partial", partial, "--shard-index", str(index), "--shard-count", str(len(settings["partial_names"])), "--quiet"]
            if settings["jobs"]:
                command += ["--jobs", str(settings["jobs"])]
            started = time.monotonic()
            try:
                done = subprocess.run(command, cwd=settings["workdir"], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as error:
                raise RuntimeError(f"{FAILURE_OPEN.format(index=index, status=70)}\n"
                                   f"cannot start sprx in {settings['workdir']}: {error}\n{FAILURE_CLOSE}")
            seconds = time.monotonic() - started
            if done.returncode != 0:
                stderr = done.stderr.decode("utf-8", "replace").rstrip() or "(sprx wrote nothing to stderr)"
                shipped_folder = os.path.dirname(pipeline)
                if settings["pipeline_shipped"] and done.returncode == 78 and shipped_folder + "/.." in stderr:
                    stderr += ("\n(the shipped pipeline names a file relative to its own folder, which is not "
                               "shipped: give that file an absolute path on shared storage, or run with "
                               "--pipeline-on-shared-path)")
                raise RuntimeError(f"{FAILURE_OPEN.format(index=index, status=done.returncode)}\n"
                                   f"sprx run exited {done.returncode} on shard {index} "
                                   f"({len(inputs)} inputs, first {inputs[0]}):\n{stderr}\n{FAILURE_CLOSE}")
            digest = hashlib.sha256()
            size = 0
            with open(partial, "rb") as handle:
                sequence = 0
                while True:
                    chunk = handle.read(settings["chunk_bytes"])
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
                    yield ("chunk", index, sequence, chunk)
                    sequence += 1
            yield ("end", index, sequence, (size, digest.hexdigest(), seconds))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    return run


def shard_failure(error):
    """(index, status, report) of the first failed shard named in a Spark error's text, or None."""
    match = FAILURE_PATTERN.search(str(error))
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), match.group(3)


def exit_status(status):
    """A process exit status (1-255) for a child's status (negative for a signal)."""
    if status < 0:
        return 128 + (-status)
    return status if 0 < status < 256 else 1


def receive_partials(records, count, folder, names, log):
    """Writes the streamed chunks as the partial files, checking each shard's size and sha256."""
    written = []
    expected = 0
    handle = None
    digest = None
    size = 0
    sequence = 0
    for kind, index, number, payload in records:
        if index != expected:
            raise RuntimeError(f"partial of shard {index} arrived while shard {expected} was expected")
        if handle is None:
            path = os.path.join(folder, names[index])
            handle = open(path + ".part", "wb")
            digest, size, sequence = hashlib.sha256(), 0, 0
        if kind == "chunk":
            if number != sequence:
                raise RuntimeError(f"shard {index}: chunk {number} arrived where chunk {sequence} was expected")
            handle.write(payload)
            digest.update(payload)
            size += len(payload)
            sequence += 1
            continue
        total, sha256, seconds = payload
        handle.close()
        handle = None
        if number != sequence or total != size or sha256 != digest.hexdigest():
            raise RuntimeError(f"shard {index}: partial arrived damaged ({size} of {total} bytes)")
        os.replace(path + ".part", path)
        log(f"shard {index}: partial {names[index]} {size} bytes, sprx run {seconds:.1f} s")
        written.append(path)
        expected += 1
    if handle is not None:
        handle.close()
    if expected != count:
        raise RuntimeError(f"{expected} of {count} partials arrived")
    return written


def parse(argv):
    """The command line, checked."""
    parser = ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sprx", required=True, help="the sprx binary (Linux x86-64) to ship and to merge with")
    parser.add_argument("--pipeline", required=True, help="the pipeline file (YAML)")
    parser.add_argument("--out", required=True, help="the output folder the merge writes")
    shards = parser.add_mutually_exclusive_group(required=True)
    shards.add_argument("--shard-list", help="one line per shard: its input files or folders, in order")
    shards.add_argument("--shard-folder", action="append", help="a folder of inputs forming one shard (repeat, in order)")
    parser.add_argument("--reference-dir", help="the reference folder (else SPRX_REFERENCE_DIR, then the pipeline's enrich.reference_dir)")
    parser.add_argument("--reference-on-shared-path", action="store_true",
                        help="do not ship --reference-dir: every node reads it at the same path")
    parser.add_argument("--pipeline-on-shared-path", action="store_true",
                        help="do not ship the pipeline: every node reads it at the same path (needed when "
                             "the pipeline names files relative to its folder, such as organisations.lookup)")
    parser.add_argument("--master", help="Spark master (e.g. local[2]); default: spark-submit's or the running context's")
    parser.add_argument("--workdir", default=os.getcwd(), help="where every sprx runs (default: this working directory)")
    parser.add_argument("--jobs-per-task", type=int, help="sprx run --jobs for each task (default: spark.task.cpus)")
    parser.add_argument("--merge-jobs", type=int, help="sprx merge --jobs (default: sprx's, the cores)")
    parser.add_argument("--partials-dir", help="keep the partials here (a new or empty folder); default: a temporary folder, removed")
    parser.add_argument("--chunk-mib", type=int, default=16, help="size of the pieces a partial travels in (MiB)")
    parser.add_argument("--no-disclosure-control", action="store_true", help="passed to sprx merge")
    parser.add_argument("--quiet", action="store_true", help="only errors on stderr")
    args = parser.parse_args(argv)
    try:
        os.chdir(args.workdir)  # every path below, and every sprx, is relative to --workdir
    except OSError as error:
        raise UsageError(f"--workdir {args.workdir}: {error.strerror}")
    args.workdir = os.getcwd()
    for name in ("sprx", "pipeline"):
        if not os.path.isfile(getattr(args, name)):
            raise UsageError(f"--{name} {getattr(args, name)}: no such file")
    if args.reference_dir and not os.path.isdir(args.reference_dir):
        raise UsageError(f"--reference-dir {args.reference_dir}: no such folder")
    if args.reference_on_shared_path and not args.reference_dir:
        raise UsageError("--reference-on-shared-path needs --reference-dir")
    if os.path.basename(args.pipeline) in (SHIPPED_BINARY, SHIPPED_REFERENCE):
        raise UsageError(f"--pipeline: rename {args.pipeline} (its name is taken by a shipped file)")
    for name in ("jobs_per_task", "merge_jobs", "chunk_mib"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be at least 1")
    if args.partials_dir and os.path.exists(args.partials_dir) and os.listdir(args.partials_dir):
        raise UsageError(f"--partials-dir {args.partials_dir}: not empty")
    return args


def main(argv):
    try:
        args = parse(argv)
        shards = read_shard_list(args.shard_list) if args.shard_list else [[folder] for folder in args.shard_folder]
        check_shards(shards, args.workdir)
    except (UsageError, OSError) as error:
        print(f"sprx_spark.py: {error}", file=sys.stderr)
        return 64
    log = (lambda message: None) if args.quiet else (lambda message: print(f"sprx-spark: {message}", file=sys.stderr))

    if args.master and args.master.startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers run the driver's Python
    from pyspark import SparkConf, SparkContext, StorageLevel

    conf = SparkConf().setAppName("sprx").set("spark.ui.showConsoleProgress", "false")
    if args.master:
        conf = conf.setMaster(args.master)
    created = SparkContext._active_spark_context is None  # a notebook's context is left running
    sc = SparkContext.getOrCreate(conf)
    if not args.quiet:
        sc.setLogLevel("WARN")
    staging = tempfile.mkdtemp(prefix="sprx-spark-staging-")
    partials = args.partials_dir or tempfile.mkdtemp(prefix="sprx-spark-partials-")
    os.makedirs(partials, exist_ok=True)
    try:
        for path, recursive in stage(args, staging):
            sc.addFile(path, recursive)
        names = [partial_name(index, len(shards)) for index in range(len(shards))]
        settings = {
            "pipeline": args.pipeline,
            "pipeline_name": os.path.basename(args.pipeline),
            "pipeline_shipped": not args.pipeline_on_shared_path,
            "reference_dir": args.reference_dir,
            "reference_shipped": bool(args.reference_dir) and not args.reference_on_shared_path,
            "workdir": args.workdir,
            "jobs": args.jobs_per_task or int(sc.getConf().get("spark.task.cpus", "1")),
            "chunk_bytes": args.chunk_mib << 20,
            "partial_names": names,
        }
        started = time.monotonic()
        log(f"{len(shards)} shards on {sc.master}, {settings['jobs']} sprx job(s) per task")
        results = (sc.parallelize(list(enumerate(shards)), len(shards))
                   .mapPartitionsWithIndex(shard_task(settings))
                   .persist(StorageLevel.MEMORY_AND_DISK))
        try:
            results.count()  # every shard in parallel; the partials stay cached on the executors
            written = receive_partials(results.toLocalIterator(), len(shards), partials, names, log)
        except Exception as error:  # a Py4JJavaError or PythonException carrying the task's error
            failure = shard_failure(error)
            if failure is None:
                print(f"sprx-spark: the Spark job failed: {str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}",
                      file=sys.stderr)
                return 1
            index, status, report = failure
            print(f"sprx-spark: shard {index} failed ({names[index]} not written); the job is stopped:\n{report}",
                  file=sys.stderr)
            return exit_status(status)
        finally:
            results.unpersist()
        log(f"shards done in {time.monotonic() - started:.1f} s; merging {len(written)} partials")

        command = [args.sprx, "merge", "--pipeline", args.pipeline, "--out", args.out]
        if args.reference_dir:
            command += ["--reference-dir", args.reference_dir]
        if args.merge_jobs:
            command += ["--jobs", str(args.merge_jobs)]
        if args.no_disclosure_control:
            command += ["--no-disclosure-control"]
        if args.quiet:
            command += ["--quiet"]
        started = time.monotonic()
        merged = subprocess.run(command + written, cwd=args.workdir, stdin=subprocess.DEVNULL)
        if merged.returncode != 0:
            print(f"sprx-spark: sprx merge exited {merged.returncode}", file=sys.stderr)
            return exit_status(merged.returncode)
        log(f"merged into {args.out} in {time.monotonic() - started:.1f} s")
        return 0
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not args.partials_dir:
            shutil.rmtree(partials, ignore_errors=True)
        if created:
            sc.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
