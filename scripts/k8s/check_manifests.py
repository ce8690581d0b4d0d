#!/usr/bin/env python3
"""Structural check of scripts/k8s's manifests (no cluster, no network).

Usage: check_manifests.py [--dir DIR] [--sprx BIN] [--self-test]

kubectl's client dry-run cannot read these files without an API server (it asks the
server which kinds exist), so this is the check that runs everywhere:
  - the fields of each object against the Kubernetes API (v1.32 reference) for the
    kinds and fields used here: an unknown or misspelt field, a wrong type or a value
    outside an enumeration is an error;
  - the shard Job: completionMode Indexed, 1 <= parallelism <= completions, completions
    equal to the lines of the shard list it reads, its command uses JOB_COMPLETION_INDEX
    and writes a zero-padded shard-NNNN.sprxpart with `sprx run --partial`;
  - the merge Job: `sprx merge --out ...` over the folder the shards write to;
  - both: restartPolicy Never, a backoffLimit, CPU and memory requests, each volume
    mount naming a declared volume, each ConfigMap and PersistentVolumeClaim declared
    (the claim ReadWriteMany), every path the commands and the shard list use under a
    mount, the merge mounting the shards' inputs at the same paths from the same volume,
    runAsNonRoot, readOnlyRootFilesystem, umask 077, a script `sh -n` accepts and that
    Kubernetes' $(VAR) expansion leaves unchanged;
  - with --sprx BIN, every sprx option used is one `BIN run --help` or `BIN merge
    --help` lists, with the same arity (skipped, saying so, when BIN has no merge).
--self-test breaks copies of the manifests one way at a time (written to a temporary
folder and read back) and fails unless the check rejects every one.
Exit 0 when all is well, 1 with one line per problem.
"""
import copy
import os
import posixpath
import re
import shlex
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    sys.exit("check_manifests.py needs PyYAML (Debian: apt-get install python3-yaml; or pip install pyyaml)")

# ---------------------------------------------------------------------------------------
# The Kubernetes API (v1.32 API reference: batch/v1 Job, core/v1 Pod, ConfigMap,
# PersistentVolumeClaim), for the objects these manifests use. A type is a scalar name
# (str, int, bool, quantity, map: string to string, qmap: string to quantity, any), an
# object name below, a list [T], or a set of allowed strings (an enumeration).
ANY = "any"
SCHEMA = {
    "Job": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta", "spec": "JobSpec", "status": ANY},
    "ConfigMap": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta", "data": "map",
                  "binaryData": "map", "immutable": "bool"},
    "PersistentVolumeClaim": {"apiVersion": "str", "kind": "str", "metadata": "ObjectMeta",
                              "spec": "PersistentVolumeClaimSpec", "status": ANY},
    "ObjectMeta": {"name": "str", "generateName": "str", "namespace": "str", "labels": "map",
                   "annotations": "map", "finalizers": ["str"], "ownerReferences": [ANY]},
    "JobSpec": {"activeDeadlineSeconds": "int", "backoffLimit": "int", "backoffLimitPerIndex": "int",
                "completionMode": {"NonIndexed", "Indexed"}, "completions": "int", "managedBy": "str",
                "manualSelector": "bool", "maxFailedIndexes": "int", "parallelism": "int",
                "podFailurePolicy": "PodFailurePolicy",
                "podReplacementPolicy": {"TerminatingOrFailed", "Failed"}, "selector": ANY,
                "successPolicy": ANY, "suspend": "bool", "template": "PodTemplateSpec",
                "ttlSecondsAfterFinished": "int"},
    "PodFailurePolicy": {"rules": ["PodFailurePolicyRule"]},
    "PodFailurePolicyRule": {"action": {"FailJob", "FailIndex", "Ignore", "Count"},
                             "onExitCodes": "PodFailurePolicyOnExitCodesRequirement",
                             "onPodConditions": ["PodFailurePolicyOnPodConditionsPattern"]},
    "PodFailurePolicyOnExitCodesRequirement": {"containerName": "str", "operator": {"In", "NotIn"},
                                               "values": ["int"]},
    "PodFailurePolicyOnPodConditionsPattern": {"status": "str", "type": "str"},
    "PodTemplateSpec": {"metadata": "ObjectMeta", "spec": "PodSpec"},
    "PodSpec": {"activeDeadlineSeconds": "int", "affinity": ANY, "automountServiceAccountToken": "bool",
                "containers": ["Container"], "dnsConfig": ANY, "dnsPolicy": "str", "enableServiceLinks": "bool",
                "ephemeralContainers": [ANY], "hostAliases": [ANY], "hostIPC": "bool", "hostNetwork": "bool",
                "hostPID": "bool", "hostUsers": "bool", "hostname": "str", "imagePullSecrets": [ANY],
                "initContainers": ["Container"], "nodeName": "str", "nodeSelector": "map", "os": ANY,
                "overhead": "qmap", "preemptionPolicy": "str", "priority": "int", "priorityClassName": "str",
                "readinessGates": [ANY], "resourceClaims": [ANY], "resources": "ResourceRequirements",
                "restartPolicy": {"Always", "OnFailure", "Never"}, "runtimeClassName": "str",
                "schedulerName": "str", "schedulingGates": [ANY], "securityContext": "PodSecurityContext",
                "serviceAccount": "str", "serviceAccountName": "str", "setHostnameAsFQDN": "bool",
                "shareProcessNamespace": "bool", "subdomain": "str", "terminationGracePeriodSeconds": "int",
                "tolerations": [ANY], "topologySpreadConstraints": [ANY], "volumes": ["Volume"]},
    "PodSecurityContext": {"appArmorProfile": ANY, "fsGroup": "int",
                           "fsGroupChangePolicy": {"OnRootMismatch", "Always"}, "runAsGroup": "int",
                           "runAsNonRoot": "bool", "runAsUser": "int", "seLinuxChangePolicy": "str",
                           "seLinuxOptions": ANY, "seccompProfile": "SeccompProfile",
                           "supplementalGroups": ["int"], "supplementalGroupsPolicy": {"Merge", "Strict"},
                           "sysctls": [ANY], "windowsOptions": ANY},
    "SeccompProfile": {"type": {"RuntimeDefault", "Localhost", "Unconfined"}, "localhostProfile": "str"},
    "Container": {"args": ["str"], "command": ["str"], "env": ["EnvVar"], "envFrom": [ANY], "image": "str",
                  "imagePullPolicy": {"Always", "Never", "IfNotPresent"}, "lifecycle": ANY,
                  "livenessProbe": ANY, "name": "str", "ports": [ANY], "readinessProbe": ANY,
                  "resizePolicy": [ANY], "resources": "ResourceRequirements", "restartPolicy": {"Always"},
                  "securityContext": "SecurityContext", "startupProbe": ANY, "stdin": "bool",
                  "stdinOnce": "bool", "terminationMessagePath": "str",
                  "terminationMessagePolicy": {"File", "FallbackToLogsOnError"}, "tty": "bool",
                  "volumeDevices": [ANY], "volumeMounts": ["VolumeMount"], "workingDir": "str"},
    "EnvVar": {"name": "str", "value": "str", "valueFrom": "EnvVarSource"},
    "EnvVarSource": {"configMapKeyRef": ANY, "fieldRef": ANY, "resourceFieldRef": "ResourceFieldSelector",
                     "secretKeyRef": ANY},
    "ResourceFieldSelector": {"containerName": "str", "divisor": "quantity",
                              "resource": {"limits.cpu", "limits.memory", "limits.ephemeral-storage",
                                           "requests.cpu", "requests.memory", "requests.ephemeral-storage"}},
    "ResourceRequirements": {"claims": [ANY], "limits": "qmap", "requests": "qmap"},
    "SecurityContext": {"allowPrivilegeEscalation": "bool", "appArmorProfile": ANY,
                        "capabilities": "Capabilities", "privileged": "bool", "procMount": "str",
                        "readOnlyRootFilesystem": "bool", "runAsGroup": "int", "runAsNonRoot": "bool",
                        "runAsUser": "int", "seLinuxOptions": ANY, "seccompProfile": "SeccompProfile",
                        "windowsOptions": ANY},
    "Capabilities": {"add": ["str"], "drop": ["str"]},
    "VolumeMount": {"mountPath": "str", "mountPropagation": "str", "name": "str", "readOnly": "bool",
                    "recursiveReadOnly": "str", "subPath": "str", "subPathExpr": "str"},
    "Volume": {"name": "str", "configMap": "ConfigMapVolumeSource",
               "persistentVolumeClaim": "PersistentVolumeClaimVolumeSource", "emptyDir": "EmptyDirVolumeSource",
               **{k: ANY for k in ("awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi",
                                   "downwardAPI", "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk",
                                   "gitRepo", "glusterfs", "hostPath", "image", "iscsi", "nfs",
                                   "photonPersistentDisk", "portworxVolume", "projected", "quobyte", "rbd",
                                   "scaleIO", "secret", "storageos", "vsphereVolume")}},
    "ConfigMapVolumeSource": {"name": "str", "items": [ANY], "defaultMode": "int", "optional": "bool"},
    "PersistentVolumeClaimVolumeSource": {"claimName": "str", "readOnly": "bool"},
    "EmptyDirVolumeSource": {"medium": "str", "sizeLimit": "quantity"},
    "PersistentVolumeClaimSpec": {"accessModes": [{"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                                                   "ReadWriteOncePod"}],
                                  "dataSource": ANY, "dataSourceRef": ANY,
                                  "resources": "VolumeResourceRequirements", "selector": ANY,
                                  "storageClassName": "str", "volumeAttributesClassName": "str",
                                  "volumeMode": {"Filesystem", "Block"}, "volumeName": "str"},
    "VolumeResourceRequirements": {"limits": "qmap", "requests": "qmap"},
}
KINDS = {("batch/v1", "Job"), ("v1", "ConfigMap"), ("v1", "PersistentVolumeClaim")}
# A resource quantity (k8s.io/apimachinery resource.Quantity): 2, 500m, 1.5Gi, 1e3.
QUANTITY = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$")
# An object name (DNS-1123 label; a Job's pods' names need it under 64 characters).
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def check_type(value, t, where, errors):
    """Appends to errors every way value is not of Kubernetes API type t."""
    if t == ANY:
        return
    if isinstance(t, set):
        if value not in t:
            errors.append(f"{where}: {value!r} is not one of {', '.join(sorted(t))}")
    elif isinstance(t, list):
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list")
            return
        for i, item in enumerate(value):
            check_type(item, t[0], f"{where}[{i}]", errors)
    elif t == "str":
        if not isinstance(value, str):
            errors.append(f"{where}: expected a string, got {value!r}")
    elif t == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{where}: expected an integer, got {value!r}")
    elif t == "bool":
        if not isinstance(value, bool):
            errors.append(f"{where}: expected true or false, got {value!r}")
    elif t == "quantity":
        if isinstance(value, bool) or not QUANTITY.match(str(value)):
            errors.append(f"{where}: {value!r} is not a resource quantity")
    elif t in ("map", "qmap"):
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a mapping")
            return
        for k, v in value.items():
            check_type(v, "quantity" if t == "qmap" else "str", f"{where}.{k}", errors)
    else:
        fields = SCHEMA[t]
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a {t} object")
            return
        for k, v in value.items():
            if k not in fields:
                errors.append(f"{where}: unknown field {k!r} in {t}")
            else:
                check_type(v, fields[k], f"{where}.{k}", errors)


# ---------------------------------------------------------------------------------------
# sprx's command line (the contract of issue 29) for reading a command: the options
# that take a value (--input takes several), the rest are flags. The binary's --help is
# the judge of what is accepted (check_flags).
SPRX_VALUE_OPTIONS = {"--pipeline", "--input", "--out", "--partial", "--jobs", "--progress",
                      "--reference-dir", "--as-of", "--shard-index", "--shard-count"}


def parse_sprx(tokens):
    """(subcommand, {option: [values]}, [positional]) of a tokenised `sprx ...` command."""
    sub, options, positional = tokens[1] if len(tokens) > 1 else None, {}, []
    i = 2
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("--"):
            values = options.setdefault(tok, [])
            i += 1
            if tok in SPRX_VALUE_OPTIONS:
                while i < len(tokens) and not tokens[i].startswith("--"):
                    values.append(tokens[i])
                    i += 1
                    if tok != "--input":
                        break
        else:
            positional.append(tok)
            i += 1
    return sub, options, positional


def shell_script(container):
    """The script of a `sh -c SCRIPT` container, or None."""
    cmd = (container.get("command") or []) + (container.get("args") or [])
    if len(cmd) >= 3 and cmd[0] in ("/bin/sh", "sh", "/bin/bash", "bash") and cmd[1] == "-c":
        return cmd[2]
    return None


def sprx_commands(script):
    """Every `sprx SUB ...` command in script, tokenised (continuation lines joined)."""
    joined = re.sub(r"\\\n", " ", script)
    found = []
    for line in joined.splitlines():
        line = line.split(" #")[0].strip()
        m = re.search(r"(?:^|\bexec\s+|\s)(sprx\s+\S+.*)$", line)
        if m and not line.startswith("#") and not line.startswith("echo"):
            found.append(shlex.split(m.group(1)))
    return found


def script_variable(script, name):
    """The value assigned to shell variable name in script (shlex-unquoted), or None."""
    m = re.search(rf"^\s*{re.escape(name)}=(.*)$", script, re.M)
    return "".join(shlex.split(m.group(1))) if m else None


def resolve(script, value):
    """value with a leading $NAME / ${NAME} replaced by its assignment in script."""
    m = re.match(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?(.*)$", value)
    if m:
        assigned = script_variable(script, m.group(1))
        if assigned is not None:
            return assigned + m.group(2)
    return value


def kubernetes_expand(text, names):
    """text as the kubelet expands a container's command: $(NAME) of a defined variable
    replaced, $$ turned into $ (k8s.io/kubernetes third_party/forked/golang/expansion)."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                close = text.find(")", i + 2)
                if close >= 0:
                    name = text[i + 2:close]
                    out.append(f"<{name}>" if name in names else text[i:close + 1])
                    i = close + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


def under(path, mounts):
    """The volume mount whose mountPath holds path, or None."""
    best = None
    for m in mounts:
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best["mountPath"].rstrip("/")):
                best = m
    return best


# ---------------------------------------------------------------------------------------
def load(directory):
    """(documents with their file names) of every *.yaml in directory."""
    docs = []
    for name in sorted(os.listdir(directory)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(directory, name)) as f:
                for doc in yaml.safe_load_all(f):
                    if doc is not None:
                        docs.append((name, doc))
    return docs


def check(docs, help_texts):
    """The problems of the manifests docs; help_texts maps run/merge to their --help or None."""
    errors = []
    by_kind = {}
    for fname, doc in docs:
        kind, api = doc.get("kind"), doc.get("apiVersion")
        name = (doc.get("metadata") or {}).get("name", "?")
        where = f"{fname}: {kind}/{name}"
        if (api, kind) not in KINDS:
            errors.append(f"{where}: apiVersion/kind {api}/{kind} is not one of "
                          + ", ".join(f"{a} {k}" for a, k in sorted(KINDS)))
            continue
        check_type(doc, kind, where, errors)
        if not DNS_LABEL.match(str(name)):
            errors.append(f"{where}: metadata.name {name!r} is not a DNS-1123 label")
        by_kind.setdefault(kind, {})[name] = (fname, doc)

    jobs = by_kind.get("Job", {})
    indexed = [(n, fd) for n, fd in jobs.items() if fd[1].get("spec", {}).get("completionMode") == "Indexed"]
    merges = [(n, fd) for n, fd in jobs.items() if fd[1].get("spec", {}).get("completionMode") != "Indexed"]
    if len(indexed) != 1:
        errors.append(f"expected one Job with completionMode: Indexed (the shards), found {len(indexed)}")
    if len(merges) != 1:
        errors.append(f"expected one Job that is not Indexed (the merge), found {len(merges)}")
    if errors and (len(indexed) != 1 or len(merges) != 1):
        return errors

    containers = {}
    for role, (name, (fname, job)) in (("shards", indexed[0]), ("merge", merges[0])):
        where = f"{fname}: Job/{name}"
        spec = job.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        if pod.get("restartPolicy") != "Never":
            errors.append(f"{where}: restartPolicy must be Never (a Job's pod is retried by the Job, "
                          f"not restarted in place), is {pod.get('restartPolicy')!r}")
        if not isinstance(spec.get("backoffLimit"), int) or spec.get("backoffLimit") < 0:
            errors.append(f"{where}: spec.backoffLimit must be set (a whole number of retries)")
        if (pod.get("securityContext") or {}).get("runAsNonRoot") is not True:
            errors.append(f"{where}: the pod's securityContext.runAsNonRoot must be true")
        cs = pod.get("containers") or []
        sprx_cs = [c for c in cs if shell_script(c) and sprx_commands(shell_script(c))]
        if len(sprx_cs) != 1:
            errors.append(f"{where}: expected one container running sprx through /bin/sh -c, found {len(sprx_cs)}")
            continue
        c = sprx_cs[0]
        cwhere = f"{where} container {c.get('name')}"
        containers[role] = (cwhere, c, pod, spec)
        # Volumes: every mount names a declared volume, every volume is used, and each
        # ConfigMap and claim is one of the manifests (the claim ReadWriteMany).
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        mounts = c.get("volumeMounts") or []
        for m in mounts:
            if m.get("name") not in volumes:
                errors.append(f"{cwhere}: volumeMount {m.get('mountPath')} names volume {m.get('name')!r}, "
                              f"which the pod does not declare ({', '.join(sorted(map(str, volumes)))})")
            if not str(m.get("mountPath", "")).startswith("/"):
                errors.append(f"{cwhere}: mountPath {m.get('mountPath')!r} is not absolute")
            if str(m.get("subPath", "")).startswith("/") or ".." in str(m.get("subPath", "")).split("/"):
                errors.append(f"{cwhere}: subPath {m.get('subPath')!r} must be relative, without ..")
        paths = [m.get("mountPath") for m in mounts]
        for p in sorted({p for p in paths if paths.count(p) > 1}):
            errors.append(f"{cwhere}: mountPath {p} is mounted twice")
        used = {m.get("name") for c2 in cs for m in c2.get("volumeMounts") or []}
        for v in volumes:
            if v not in used:
                errors.append(f"{where}: volume {v!r} is declared but mounted by no container")
        for v in volumes.values():
            if "configMap" in v and v["configMap"].get("name") not in by_kind.get("ConfigMap", {}):
                errors.append(f"{where}: volume {v['name']!r} reads ConfigMap {v['configMap'].get('name')!r}, "
                              "which no manifest declares")
            if "persistentVolumeClaim" in v:
                claim = v["persistentVolumeClaim"].get("claimName")
                pvc = by_kind.get("PersistentVolumeClaim", {}).get(claim)
                if pvc is None:
                    errors.append(f"{where}: volume {v['name']!r} uses claim {claim!r}, which no manifest declares")
                elif "ReadWriteMany" not in (pvc[1].get("spec", {}).get("accessModes") or []):
                    errors.append(f"{pvc[0]}: claim {claim} must be ReadWriteMany (shards on several nodes "
                                  "and the merge share it)")
        for rule in (spec.get("podFailurePolicy") or {}).get("rules") or []:
            cn = (rule.get("onExitCodes") or {}).get("containerName")
            if cn is not None and cn not in {x.get("name") for x in cs}:
                errors.append(f"{where}: podFailurePolicy names container {cn!r}, which the pod does not have")
        # Resources and the container's security.
        requests = (c.get("resources") or {}).get("requests") or {}
        for r in ("cpu", "memory"):
            if r not in requests:
                errors.append(f"{cwhere}: resources.requests.{r} must be set")
        sc = c.get("securityContext") or {}
        if sc.get("readOnlyRootFilesystem") is not True:
            errors.append(f"{cwhere}: securityContext.readOnlyRootFilesystem must be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            errors.append(f"{cwhere}: securityContext.allowPrivilegeEscalation must be false")
        # The script: sh accepts it, Kubernetes leaves it as written, files are owner-only.
        script = shell_script(c)
        env_names = {e.get("name") for e in c.get("env") or []} | {"JOB_COMPLETION_INDEX"}
        if kubernetes_expand(script, env_names) != script:
            errors.append(f"{cwhere}: Kubernetes would rewrite the script ($$ becomes $, $(NAME) of a "
                          "container variable is replaced): write $$ and $(NAME) differently")
        r = subprocess.run(["sh", "-n", "-c", script], capture_output=True, text=True)
        if r.returncode != 0:
            errors.append(f"{cwhere}: sh -n rejects the script: {r.stderr.strip()}")
        if not re.search(r"^\s*umask 0?077\b", script, re.M):
            errors.append(f"{cwhere}: the script must set umask 077 (partials and quarantine rows are "
                          "patient-derived: owner-only files)")
    if len(containers) != 2:
        return errors

    # The shard Job.
    swhere, sc_, spod, sspec = containers["shards"]
    completions, parallelism = sspec.get("completions"), sspec.get("parallelism", 1)
    if not (isinstance(completions, int) and completions >= 1):
        errors.append(f"{swhere}: an Indexed Job needs completions >= 1 (the shard count)")
        completions = None
    elif not (isinstance(parallelism, int) and 1 <= parallelism <= completions):
        errors.append(f"{swhere}: parallelism {parallelism!r} must be from 1 to completions ({completions})")
    sscript = shell_script(sc_)
    if "JOB_COMPLETION_INDEX" not in sscript:
        errors.append(f"{swhere}: the command must pick its shard by JOB_COMPLETION_INDEX")
    smounts = sc_.get("volumeMounts") or []
    # The shard list: a ConfigMap key the script reads at its mounted path.
    svolumes = {v.get("name"): v for v in spod.get("volumes") or []}
    lists = []
    for m in smounts:
        v = svolumes.get(m.get("name")) or {}
        if "configMap" in v:
            cm = by_kind.get("ConfigMap", {}).get(v["configMap"].get("name"))
            for key, text in ((cm[1].get("data") or {}).items() if cm else []):
                if posixpath.join(m["mountPath"], key) in sscript:
                    lists.append((f"{cm[0]}: ConfigMap/{v['configMap']['name']} {key}", text))
    if len(lists) != 1:
        errors.append(f"{swhere}: the script must read one shard list from a mounted ConfigMap, reads {len(lists)}")
    else:
        lwhere, text = lists[0]
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if completions is not None and len(lines) != completions:
            errors.append(f"{lwhere}: {len(lines)} lines (shards) but the shard Job has completions: {completions}")
        for n, line in enumerate(lines, 1):
            if not line.strip():
                errors.append(f"{lwhere}: line {n} is blank (every line is a shard)")
            for p in line.split():
                if not p.startswith("/"):
                    errors.append(f"{lwhere}: line {n}: {p!r} is not an absolute path")
                elif under(p, smounts) is None:
                    errors.append(f"{lwhere}: line {n}: {p} is under no mount of the shard container")
    runs = sprx_commands(sscript)
    sub, sopts, _ = parse_sprx(runs[0])
    partial_dir = None
    if len(runs) != 1 or sub != "run":
        errors.append(f"{swhere}: the shard must run one `sprx run`, runs {[' '.join(r[:2]) for r in runs]}")
    else:
        for opt in ("--pipeline", "--input", "--partial"):
            if not sopts.get(opt):
                errors.append(f"{swhere}: `sprx run` needs {opt}")
        if "--out" in sopts:
            errors.append(f"{swhere}: a shard writes a partial, not an output folder (--out)")
        if sopts.get("--partial"):
            partial = resolve(sscript, sopts["--partial"][0])
            partial_dir, base = posixpath.split(partial)
            if not re.fullmatch(r"shard-\$\(printf %04d [^)]*\)\.sprxpart", base):
                errors.append(f"{swhere}: the partial {partial!r} must be named shard-$(printf %04d INDEX).sprxpart "
                              "(zero-padded: the merge reads the folder in name order)")
            m = under(partial_dir, smounts)
            if m is None or m.get("readOnly"):
                errors.append(f"{swhere}: the partials folder {partial_dir} must be under a writable mount")
        for opt in ("--pipeline", "--reference-dir"):
            for p in sopts.get(opt, []):
                if under(resolve(sscript, p), smounts) is None:
                    errors.append(f"{swhere}: {opt} {p} is under no mount")

    # The merge Job.
    mwhere, mc, mpod, mspec = containers["merge"]
    if mspec.get("completions", 1) != 1 or mspec.get("parallelism", 1) != 1:
        errors.append(f"{mwhere}: the merge is one pod (completions and parallelism 1)")
    mscript = shell_script(mc)
    merges = sprx_commands(mscript)
    msub, mopts, mpos = parse_sprx(merges[0])
    mmounts = mc.get("volumeMounts") or []
    if len(merges) != 1 or msub != "merge":
        errors.append(f"{mwhere}: the merge Job's command must be `sprx merge`, is "
                      f"{[' '.join(r[:2]) for r in merges]}")
    else:
        if not mopts.get("--out") or not mopts.get("--pipeline"):
            errors.append(f"{mwhere}: `sprx merge` needs --pipeline and --out")
        if "--partial" in mopts:
            errors.append(f"{mwhere}: the final merge writes an output folder (--out), not a partial")
        if partial_dir is not None and [resolve(mscript, p).rstrip("/") for p in mpos] != [partial_dir]:
            errors.append(f"{mwhere}: `sprx merge` must read the shards' partials folder {partial_dir} "
                          f"(reads {mpos})")
        for p in mopts.get("--out", []):
            m = under(posixpath.dirname(resolve(mscript, p).rstrip("/")), mmounts)
            if m is None or m.get("readOnly"):
                errors.append(f"{mwhere}: --out {p} must be in a writable mount")
        if sopts.get("--pipeline") and mopts.get("--pipeline") != sopts.get("--pipeline"):
            errors.append(f"{mwhere}: --pipeline {mopts.get('--pipeline')} differs from the shards' "
                          f"{sopts.get('--pipeline')} (the merge refuses another pipeline's partials)")
        if mopts.get("--reference-dir") != sopts.get("--reference-dir"):
            errors.append(f"{mwhere}: --reference-dir differs from the shards' (the partials name the "
                          "reference files' sha256)")
    # The shared-path requirement: each mount of the shards (but scratch space) is mounted
    # by the merge at the same path from the same volume and subPath.
    mvolumes = {v.get("name"): v for v in mpod.get("volumes") or []}

    def source(m, volumes):
        v = dict(volumes.get(m.get("name")) or {})
        v.pop("name", None)
        return (yaml.safe_dump(v, sort_keys=True), m.get("subPath", ""))

    mby_path = {m.get("mountPath"): m for m in mmounts}
    for m in smounts:
        v = svolumes.get(m.get("name")) or {}
        if "emptyDir" in v:
            continue
        other = mby_path.get(m.get("mountPath"))
        if other is None:
            errors.append(f"{mwhere}: mounts nothing at {m.get('mountPath')}, where the shards read or write "
                          "(the merge may re-read shards' inputs at the paths they saw)")
        elif source(other, mvolumes) != source(m, svolumes):
            errors.append(f"{mwhere}: {m.get('mountPath')} is not the shards' volume and subPath")

    errors += check_flags({"run": runs[0], "merge": merges[0]}, help_texts)
    return errors


def help_options(text):
    """{option: takes a value} of a swift-argument-parser --help text's OPTIONS."""
    opts, in_options = {}, False
    for line in text.splitlines():
        if line.strip() == "OPTIONS:":
            in_options = True
            continue
        if in_options:
            m = re.match(r"^\s{1,4}(?:-\w, )?(--[a-z0-9-]+)(\s+<[^>]+>)?", line)
            if m:
                opts[m.group(1)] = bool(m.group(2))
    return opts


def check_flags(commands, help_texts):
    """Every option of the sprx commands is one the binary's --help lists, with its arity."""
    errors = []
    if help_texts is None:
        return errors
    for sub, tokens in commands.items():
        text = help_texts.get(sub)
        opts = help_options(text or "")
        if not opts:
            errors.append(f"sprx {sub} --help lists no options")
            continue
        for tok in tokens[2:]:
            if tok.startswith("--"):
                if tok not in opts:
                    errors.append(f"sprx {sub}: option {tok} is not one `sprx {sub} --help` lists")
                elif opts[tok] != (tok in SPRX_VALUE_OPTIONS):
                    errors.append(f"sprx {sub}: {tok} {'takes' if opts[tok] else 'takes no'} value in the binary")
    return errors


def sprx_help(binary):
    """{run, merge: --help text} of binary, or None (with a note) when it has no merge."""
    texts = {}
    for sub in ("run", "merge"):
        r = subprocess.run([binary, sub, "--help"], capture_output=True, text=True,
                           env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})
        if r.returncode != 0 or "USAGE: sprx " + sub not in r.stdout:
            print(f"note: {binary} has no `{sub}` command (exit {r.returncode}): the sprx options "
                  "used in the manifests are not checked against the binary")
            return None
        texts[sub] = r.stdout
    return texts


# ---------------------------------------------------------------------------------------
# --self-test: each mutation breaks a copy of the manifests one way; the check must fail.
def _job(docs, indexed):
    for _, d in docs:
        if d.get("kind") == "Job" and (d["spec"].get("completionMode") == "Indexed") == indexed:
            return d
    raise KeyError("job")


def _container(docs, indexed):
    return _job(docs, indexed)["spec"]["template"]["spec"]["containers"][0]


def _edit_script(docs, indexed, old, new):
    c = _container(docs, indexed)
    assert old in c["command"][2], old
    c["command"][2] = c["command"][2].replace(old, new)


def _configmap(docs):
    return next(d for _, d in docs if d.get("kind") == "ConfigMap")


def _shard_list_key(docs):
    return next(iter(_configmap(docs)["data"]))


# (what is broken, the words the check's message must have, how to break it)
MUTATIONS = [
    ("completionMode removed", "completionMode: Indexed",
     lambda d: _job(d, True)["spec"].update(completionMode="NonIndexed")),
    ("completionMode misspelt field", "unknown field 'completionsMode'", lambda d: _job(d, True)["spec"].update(
        completionsMode=_job(d, True)["spec"].pop("completionMode"))),
    ("completions one more than the shard list", "but the shard Job has completions",
     lambda d: _job(d, True)["spec"].update(completions=_job(d, True)["spec"]["completions"] + 1)),
    ("a shard line removed", "but the shard Job has completions", lambda d: _configmap(d)["data"].update(
        {_shard_list_key(d): "\n".join(_configmap(d)["data"][_shard_list_key(d)].split("\n")[1:])})),
    ("parallelism above completions", "parallelism",
     lambda d: _job(d, True)["spec"].update(parallelism=_job(d, True)["spec"]["completions"] + 1)),
    ("completions a string", "expected an integer", lambda d: _job(d, True)["spec"].update(completions="16")),
    ("shard command without JOB_COMPLETION_INDEX", "JOB_COMPLETION_INDEX",
     lambda d: _edit_script(d, True, "${JOB_COMPLETION_INDEX:", "${SHARD_INDEX:")),
    ("partial name not zero-padded", "zero-padded", lambda d: _edit_script(d, True, "%04d", "%d")),
    ("merge command is sprx run", "must be `sprx merge`",
     lambda d: _edit_script(d, False, "exec sprx merge", "exec sprx run")),
    ("merge reads another folder", "partials folder",
     lambda d: _edit_script(d, False, " /partials\n", " /partial\n")),
    ("shard restartPolicy OnFailure", "restartPolicy must be Never",
     lambda d: _job(d, True)["spec"]["template"]["spec"].update(restartPolicy="OnFailure")),
    ("merge restartPolicy missing", "restartPolicy must be Never",
     lambda d: _job(d, False)["spec"]["template"]["spec"].pop("restartPolicy")),
    ("backoffLimit missing", "backoffLimit", lambda d: _job(d, True)["spec"].pop("backoffLimit")),
    ("a mount naming an undeclared volume", "does not declare",
     lambda d: _container(d, True)["volumeMounts"][1].update(name="inputs")),
    ("merge mounts inputs from another subPath", "not the shards' volume and subPath",
     lambda d: next(m for m in _container(d, False)["volumeMounts"] if m["mountPath"] == "/inputs")
     .update(subPath="inputs-copy")),
    ("merge lacks the inputs mount", "mounts nothing at /inputs", lambda d: _container(d, False).update(
        volumeMounts=[m for m in _container(d, False)["volumeMounts"] if m["mountPath"] != "/inputs"])),
    ("claim ReadWriteOnce", "ReadWriteMany",
     lambda d: next(x for _, x in d if x.get("kind") == "PersistentVolumeClaim")["spec"].update(
         accessModes=["ReadWriteOnce"])),
    ("an unknown sprx option", "--partials", lambda d: _edit_script(d, True, "--partial \"$partial\"",
                                                                     "--partials \"$partial\"")),
    ("$$ in the script (Kubernetes makes it $)", "Kubernetes would rewrite",
     lambda d: _edit_script(d, True, "set -eu", "set -eu; echo $$")),
    ("a shell syntax error", "sh -n rejects", lambda d: _edit_script(d, False, "done\n", "\n")),
    ("runAsNonRoot false", "runAsNonRoot",
     lambda d: _job(d, True)["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot=False)),
    ("root filesystem writable", "readOnlyRootFilesystem",
     lambda d: _container(d, False)["securityContext"].update(readOnlyRootFilesystem=False)),
    ("no umask", "umask 077", lambda d: _edit_script(d, True, "umask 077", "umask 022")),
    ("no memory request", "requests.memory", lambda d: _container(d, True)["resources"]["requests"].pop("memory")),
    ("a bad quantity", "not a resource quantity",
     lambda d: _container(d, True)["resources"]["requests"].update(memory="2 GB")),
    ("apiVersion batch/v2", "batch/v2", lambda d: _job(d, False).update(apiVersion="batch/v2")),
    ("a shard path outside the mounts", "under no mount", lambda d: _configmap(d)["data"].update(
        {_shard_list_key(d): _configmap(d)["data"][_shard_list_key(d)].replace("/inputs/", "/data/", 1)})),
]


def write_copy(docs, directory):
    """Writes docs into directory, one file per original file name."""
    for fname in {f for f, _ in docs}:
        with open(os.path.join(directory, fname), "w") as f:
            yaml.safe_dump_all([d for f2, d in docs if f2 == fname], f, sort_keys=False)


def self_test(directory, help_texts):
    """Runs every mutation on a copy: (mutations rejected for their reason, failures, skipped)."""
    original = load(directory)
    with tempfile.TemporaryDirectory() as tmp:
        write_copy(copy.deepcopy(original), tmp)
        baseline = check(load(tmp), help_texts)
    if baseline:
        print("self-test: the unbroken copy already fails, so no mutation can show anything:")
        for e in baseline:
            print(f"  {e}")
        return 0, len(MUTATIONS), 0
    rejected, failed, skipped = 0, 0, 0
    for name, expect, mutate in MUTATIONS:
        if expect == "--partials" and help_texts is None:
            print(f"self-test: skipped {name!r} (no binary with merge to ask)")
            skipped += 1
            continue
        docs = copy.deepcopy(original)
        try:
            mutate(docs)
        except (AssertionError, KeyError, StopIteration) as e:
            print(f"self-test: cannot apply {name!r} ({e!r}): the manifests changed; update MUTATIONS")
            failed += 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            write_copy(docs, tmp)
            errors = check(load(tmp), help_texts)
        hits = [e for e in errors if expect in e]
        if hits:
            print(f"self-test: rejected {name!r}: {hits[0]}")
            rejected += 1
        else:
            print(f"self-test: NOT rejected for its reason ({expect!r}): {name!r}; errors: {errors}")
            failed += 1
    return rejected, failed, skipped


def main(argv):
    directory, binary, test = os.path.dirname(os.path.abspath(__file__)), None, False
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--dir":
            directory = args.pop(0)
        elif a == "--sprx":
            binary = args.pop(0)
        elif a == "--self-test":
            test = True
        else:
            sys.exit(__doc__)
    help_texts = sprx_help(binary) if binary else None
    if binary is None:
        print("note: no --sprx BIN: the sprx options used are not checked against a binary")
    if test:
        rejected, failed, skipped = self_test(directory, help_texts)
        print(f"self-test: {rejected} of {len(MUTATIONS)} broken copies rejected for their reason"
              + (f", {skipped} skipped" if skipped else "") + (f", {failed} NOT" if failed else ""))
        return 1 if failed else 0
    errors = check(load(directory), help_texts)
    for e in errors:
        print(e)
    if not errors:
        print(f"manifests in {directory}: all checks passed")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
