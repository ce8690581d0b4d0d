#!/usr/bin/env python3
"""Cross-checks sprx's models.csv against R fitted on a frame DuckDB rebuilt independently.

DuckDB reads the same gzip CSVs and reference lookups and builds one row per referral
(scripts/duckdb_frame.py); R fits the pipeline's models on those rows with glm,
MASS::glm.nb and sandwich::vcovCL(type="HC1") (scripts/models_in_r.R). Every odds
ratio / rate ratio must agree to 1e-6 relative, every standard error (model-based
and CR1) and θ's standard error to 1e-4, AMEs to 1e-6 absolute (percentage points
1e-4). sprx's tables must have been written with --no-disclosure-control.

Usage: check_models.py DATA_DIR PIPELINE_YAML SPRX_OUT_DIR [WORK_DIR] [--write-expected FILE]
Exit 1 on any difference.
"""
import csv, math, os, subprocess, sys
from duckdb_frame import build_base

args = [a for a in sys.argv[1:] if not a.startswith("--")]
data_dir, pipeline_path, sprx_out = args[:3]
work = args[3] if len(args) > 3 else os.path.join(sprx_out, "..", "check-models")
os.makedirs(work, exist_ok=True)
con, pipeline = build_base(data_dir, pipeline_path)
frame = os.path.join(work, "frame.csv")
con.execute(f"""COPY (SELECT age_band, sex, ethnicity, imd_decile, imd_quintile, rurality, nation, route_type,
    coalesce(organisation, '') AS organisation, coalesce(CAST(contacts AS VARCHAR), 'NA') AS contacts,
    coalesce(CAST(interventions AS VARCHAR), 'NA') AS interventions, contacted FROM base) TO '{frame}' (HEADER)""")
models = pipeline["models"]
with open(os.path.join(work, "spec.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["model", "outcome", "family", "covariates"])
    for m in models["fit"]:
        w.writerow([m["name"], m["outcome"], m["family"], " ".join(m["covariates"])])
with open(os.path.join(work, "refs.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["covariate", "level"])
    for k, v in models["reference"].items():
        w.writerow([k, v])
r_out = subprocess.run(["Rscript", os.path.join(os.path.dirname(__file__), "models_in_r.R"), frame,
                        os.path.join(work, "spec.csv"), os.path.join(work, "refs.csv")],
                       check=True, capture_output=True, text=True).stdout
if "--write-expected" in sys.argv:
    open(sys.argv[sys.argv.index("--write-expected") + 1], "w").write(r_out)
expected = {}
for row in csv.DictReader(l for l in r_out.splitlines() if not l.startswith("#")):
    expected[(row["model"], row["term"], row["level"], row["quantity"])] = float(row["value"])

got = {}
with open(os.path.join(sprx_out, "tables", "models.csv"), newline="") as f:
    for row in csv.DictReader(f):
        got[(row["model"], row["term"], row["level"], row["measure"])] = row

failures, checked = 0, 0
worst = {}
def check(what, a, b, tol, relative=True):
    global failures, checked
    checked += 1
    err = abs(a - b) / abs(b) if relative else abs(a - b)
    kind = what.split(" | ")[-1]
    worst[kind] = max(worst.get(kind, 0.0), err)
    if not err <= tol:
        failures += 1
        print(f"DIFF {what}: sprx {a!r} R {b!r} ({'rel' if relative else 'abs'} {err:.3g} > {tol})")

for (model, term, level, q), value in sorted(expected.items()):
    if q == "coef":
        measure = [m for (mm, t, l, m) in got if mm == model and t == term and l == level and m in
                   ("odds_ratio", "rate_ratio", "baseline_odds", "baseline_rate")]
        row = got[(model, term, level, measure[0])]
        check(f"{model} {term}={level} | odds/rate ratio (relative)", float(row["estimate"]), math.exp(value), 1e-6)
    elif q in ("se_model", "se_cr1"):
        measure = [m for (mm, t, l, m) in got if mm == model and t == term and l == level and m in
                   ("odds_ratio", "rate_ratio", "baseline_odds", "baseline_rate")]
        row = got[(model, term, level, measure[0])]
        check(f"{model} {term}={level} | {q} (relative)", float(row["std_error_model" if q == "se_model" else "std_error"]), value, 1e-4)
    elif q == "theta":
        check(f"{model} | theta (relative)", float(got[(model, "theta", "", "dispersion")]["estimate"]), value, 1e-6)
    elif q == "theta_se":
        check(f"{model} | theta standard error (relative; MASS evaluates it one Newton step early)", float(got[(model, "theta", "", "dispersion")]["std_error"]), value, 1e-4)
    elif q == "ame":
        check(f"{model} {term}={level} | AME, percentage points (absolute)", float(got[(model, term, level, "ame_pp")]["estimate"]), 100 * value, 1e-4, False)
    elif q == "ame_se_cr1":
        check(f"{model} {term}={level} | AME standard error (relative)", float(got[(model, term, level, "ame_pp")]["std_error"]), 100 * value, 1e-4)
    elif q == "n_obs":
        row = next(r for (mm, *_), r in got.items() if mm == model)
        check(f"{model} | n_obs", float(row["n_obs"]), value, 0)
    elif q == "n_clusters":
        row = next(r for (mm, *_), r in got.items() if mm == model)
        check(f"{model} | n_clusters", float(row["n_clusters"]), value, 0)
for kind, err in sorted(worst.items()):
    print(f"  largest difference, {kind}: {err:.2g}")
print(f"models.csv vs R: {checked} values checked, {failures} differ")
sys.exit(1 if failures else 0)
