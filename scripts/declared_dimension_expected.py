#!/usr/bin/env python3
"""Expected tables for a dimension declared in a pipeline only, made without sprx.

Issue 26's acceptance check (Tests/EndToEndTests/DeclaredDimensionAcceptanceTests.swift). The
fixture folder holds an export `sprx generate --extra-column` wrote with a "Disability
status" column. This script
  1. writes FIXTURE/pipeline.yaml: the shipped Pipelines/referral-equity.yaml (its
     reference folder made relative to the fixture, without the sample's organisation
     lookup), with a `dimensions:` section declaring `disability` (levels Yes/No, tables
     and model), `reason_groups:` (two groups sharing loneliness_isolation), and
     `disability` added to the route_nonmedical model's covariates;
  2. rebuilds one row per referral in DuckDB from the raw gzip CSV and the reference
     lookups (duckdb_frame.py, independent of sprx), maps the disability labels and the
     reasons itself, and recounts every `disability` and `reason_group` row of
     route_type_by_group, route_by_group, pathway_by_group and trends (a referral counts in each reason
     group one of its reasons is in; shares with 95% Wilson intervals);
  3. fits the route_nonmedical logistic model with statsmodels (GLM Binomial, referrals
     with an unknown covariate, an unknown route or no organisation left out, CR1
     standard errors clustered by organisation: G/(G-1)·(N-1)/(N-K), as sprx and
     sandwich::vcovCL(type = "HC1") compute them);
and writes FIXTURE/expected/{route_type_by_group,route_by_group,pathway_by_group,trends,models}.csv and
data_quality.csv (the disability values no list names, counted as unmapped).

Usage (from the repository root, with duckdb, statsmodels, pandas and pyyaml):
  python3 scripts/declared_dimension_expected.py Tests/EndToEndTests/Fixtures/declared-dimension [--check]
--check writes nothing in the fixture: it recomputes everything in a temporary folder and
exits 1 when pipeline.yaml differs from the one written now or an expected value from the
committed one (text exactly; numbers beyond 1e-9 relative, for other BLAS or versions).
"""
import csv, math, os, re, shutil, sys, tempfile

import duckdb
import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from duckdb_frame import build_base, norm

Z = 1.959963984540054  # the 0.975 quantile of the standard normal
DISABILITY_COLUMN = "Disability status"
DISABILITY_LEVELS = {"Yes": ["Y", "Yes", "Disabled"], "No": ["N", "No"]}
DISABILITY_UNKNOWN = ["Unknown", "Not stated"]
REASON_GROUPS = {"mental_wellbeing": ["mental_health", "loneliness_isolation"],
                 "connection_and_money": ["loneliness_isolation", "financial", "housing"]}
MODEL_COVARIATES = ["age_band", "sex", "ethnicity", "imd_quintile", "rurality", "nation", "disability"]

DECLARATIONS = f"""
# Issue 26's acceptance fixture: a dimension and reason groups declared here only.
dimensions:
  disability:
    title: "Disability"
    column: [disability, "{DISABILITY_COLUMN}"]
    levels:
{chr(10).join(f'      "{level}": [{", ".join(chr(34) + l + chr(34) for l in labels)}]' for level, labels in DISABILITY_LEVELS.items())}
    unknown: [{", ".join(chr(34) + l + chr(34) for l in DISABILITY_UNKNOWN)}]
    tables: true
    model: true

reason_groups:
{chr(10).join(f"  {name}: [{', '.join(reasons)}]" for name, reasons in REASON_GROUPS.items())}
"""


def write_pipeline(repo, fixture, check=False):
    """The shipped pipeline with the declarations above; returns its path (in check mode,
    the committed one after confirming it is the text written now)."""
    text = open(os.path.join(repo, "Pipelines", "referral-equity.yaml")).read()
    reference = os.path.relpath(os.path.join(repo, "SampleData", "reference"), fixture)
    edits = [("reference_dir: ../SampleData/reference", f"reference_dir: {reference}"),
             ("  # The generated sample's organisations (sprx generate --organisation-lookup):\n", ""),
             (re.search(r"  lookup: \{file: \.\./SampleData/organisations/[^\n]*\n", text).group(0), ""),
             ("      outcome: route_nonmedical\n      family: logistic\n      covariates: [age_band, sex, ethnicity, imd_quintile, rurality, nation]",
              "      outcome: route_nonmedical\n      family: logistic\n      covariates: [" + ", ".join(MODEL_COVARIATES) + "]")]
    for old, new in edits:
        assert text.count(old) == 1, f"the shipped pipeline no longer has: {old!r}"
        text = text.replace(old, new)
    text = "# Written by scripts/declared_dimension_expected.py: do not edit (see README.md here).\n" + text + DECLARATIONS
    path = os.path.join(fixture, "pipeline.yaml")
    if check:
        if open(path).read() != text:
            sys.exit(f"{path} is not the shipped pipeline with the declarations: rerun without --check and commit it")
        return path
    with open(path, "w") as f:
        f.write(text)
    return path


def same(a, b):
    """Cells equal as text, or as numbers within 1e-9 relative."""
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return abs(x - y) <= 1e-9 * max(abs(x), abs(y))


def compare(committed, recomputed):
    """Exit 1 naming each expected file whose rows differ from the recomputation."""
    failures = 0
    for name in sorted(os.listdir(recomputed)):
        old = list(csv.reader(open(os.path.join(committed, name), newline="")))
        new = list(csv.reader(open(os.path.join(recomputed, name), newline="")))
        bad = [(o, n) for o, n in zip(old, new) if len(o) != len(n) or not all(map(same, o, n))]
        if len(old) != len(new) or bad:
            failures += 1
            print(f"{name}: {len(old)} committed rows, {len(new)} recomputed; first difference: {bad[:1]}")
        else:
            print(f"{name}: {len(new)} rows equal to the committed expectation")
    sys.exit(1 if failures else 0)


def wilson(n, d):
    """Share and 95% Wilson score interval in percent (Wilson 1927)."""
    p = n / d
    centre = (p + Z * Z / (2 * d)) / (1 + Z * Z / d)
    half = Z * math.sqrt(p * (1 - p) / d + Z * Z / (4 * d * d)) / (1 + Z * Z / d)
    return 100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def fmt(x):
    return "" if x is None else repr(float(x))


def main():
    fixture = os.path.abspath(sys.argv[1])
    check = "--check" in sys.argv[2:]
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    pipeline_path = write_pipeline(repo, fixture, check)
    con, pipeline = build_base(os.path.join(fixture, "data"), pipeline_path,
                               carry={"referral_id": "referral_id", "reasons_raw": "referral_reasons", "disability_raw": DISABILITY_COLUMN})

    # Disability: a listed label gives its level; empty, a value meaning unknown and an
    # unlisted label are all Unknown.
    con.execute("CREATE TABLE disability_map(label VARCHAR, level VARCHAR)")
    con.executemany("INSERT INTO disability_map VALUES (?, ?)", [(norm(l), lv) for lv, ls in DISABILITY_LEVELS.items() for l in ls])
    con.execute("""CREATE TABLE frame AS SELECT b.*, coalesce(m.level, 'Unknown') AS disability,
                   CASE WHEN coalesce(b.interventions, 0) > 0 THEN 1 ELSE 0 END AS intervention
                   FROM base b LEFT JOIN disability_map m
                   ON m.label = regexp_replace(lower(trim(coalesce(b.disability_raw, ''))), '\\s+', ' ', 'g')""")
    # Reason groups: each referral once in each group one of its reasons is in.
    sep = pipeline["reason_separators"]
    con.execute("CREATE TABLE reason_map(label VARCHAR, reason VARCHAR)")
    con.executemany("INSERT INTO reason_map VALUES (?, ?)", [(norm(l), r) for r, ls in pipeline["reasons"].items() for l in ls])
    con.execute("CREATE TABLE group_map(reason VARCHAR, reason_group VARCHAR)")
    con.executemany("INSERT INTO group_map VALUES (?, ?)", [(r, g) for g, rs in REASON_GROUPS.items() for r in rs])
    con.execute(f"""CREATE TABLE in_group AS SELECT DISTINCT f.referral_id, g.reason_group FROM frame f,
                    unnest(string_split(coalesce(f.reasons_raw, ''), '{sep}')) AS t(label)
                    JOIN reason_map m ON m.label = regexp_replace(lower(trim(t.label)), '\\s+', ' ', 'g')
                    JOIN group_map g ON g.reason = m.reason""")
    con.execute("""CREATE VIEW by_dimension AS
                   SELECT 'disability' AS dimension, disability AS grp, * FROM frame
                   UNION ALL SELECT 'reason_group', i.reason_group, f.* FROM frame f JOIN in_group i USING (referral_id)""")
    out = tempfile.mkdtemp(prefix="declared-dimension-") if check else os.path.join(fixture, "expected")
    os.makedirs(out, exist_ok=True)

    # data_quality: the values no list names (neither a level's label, nor a value meaning
    # unknown, nor empty) are counted as unmapped.
    listed = [norm(l) for ls in DISABILITY_LEVELS.values() for l in ls] + [norm(l) for l in DISABILITY_UNKNOWN] + [""]
    (unmapped,) = con.execute(f"""SELECT count(*) FROM frame WHERE regexp_replace(lower(trim(coalesce(disability_raw, ''))),
        '\\s+', ' ', 'g') NOT IN ({", ".join("?" for _ in listed)})""", listed).fetchone()
    with open(os.path.join(out, "data_quality.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["file", "measure", "value"])
        w.writerow(["all", "unmapped:disability", unmapped])

    # route_type_by_group and route_by_group: n per route (type) of each group, of the group's total.
    for table, category in (("route_type_by_group", "route_type"), ("route_by_group", "route")):
        with open(os.path.join(out, table + ".csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["dimension", "group", category, "n", "total", "percent", "ci_low", "ci_high"])
            for dim, grp, c, n, total in con.execute(f"""
                SELECT dimension, grp, {category}, n, sum(n) OVER (PARTITION BY dimension, grp) FROM (
                  SELECT dimension, grp, {category}, count(*) AS n FROM by_dimension GROUP BY ALL) ORDER BY ALL""").fetchall():
                w.writerow([dim, grp, c, n, total, *map(fmt, wilson(n, total))])

    # pathway_by_group: referred, contacted, intervention per group and route type (and all).
    with open(os.path.join(out, "pathway_by_group.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["dimension", "group", "route_type", "referred", "contacted", "intervention", "pct_contacted", "pct_intervention"])
        for dim, grp, rt, n, c, i in con.execute("""
            SELECT dimension, grp, coalesce(route_type, 'all'), count(*), sum(contacted), sum(intervention)
            FROM by_dimension GROUP BY GROUPING SETS ((dimension, grp, route_type), (dimension, grp)) ORDER BY ALL""").fetchall():
            w.writerow([dim, grp, rt, n, int(c), int(i), fmt(100 * c / n), fmt(100 * i / n)])

    # trends: every month and quarter from the first referral's to the last's, per group
    # with a referral in the period.
    first, last = con.execute("SELECT min(referral_day), max(referral_day) FROM frame").fetchone()
    steps = {"month": "INTERVAL 1 MONTH", "quarter": "INTERVAL 3 MONTH"}
    with open(os.path.join(out, "trends.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["measure", "interval", "interval_start", "interval_end", "dimension", "group", "numerator", "denominator",
                    "value", "ci_low", "ci_high", "partial"])
        for interval, step in steps.items():
            spans = con.execute(f"""SELECT s::DATE, (s + {step} - INTERVAL 1 DAY)::DATE FROM generate_series(
                date_trunc('{interval}', DATE '{first}'), date_trunc('{interval}', DATE '{last}'), {step}) t(s)""").fetchall()
            tallies = {}
            for dim, grp, start, n, nm, c, i in con.execute(f"""
                SELECT dimension, grp, date_trunc('{interval}', referral_day)::DATE, count(*),
                       count(*) FILTER (WHERE route_type = 'non_medical'), sum(contacted), sum(intervention)
                FROM by_dimension WHERE dimension = 'disability' GROUP BY ALL""").fetchall():
                tallies[(dim, grp, start)] = (n, nm, int(c), int(i))
            for dim, grp in sorted({(d, g) for (d, g, _) in tallies}):
                for start, end in spans:
                    n, nm, c, i = tallies.get((dim, grp, start), (0, 0, 0, 0))
                    partial = "TRUE" if start < first or end > last else "FALSE"
                    w.writerow(["referrals", interval, start, end, dim, grp, n, "", n, "", "", partial])
                    for measure, k in (("non_medical_share", nm), ("contacted_share", c), ("intervention_share", i)):
                        values = wilson(k, n) if n else (None, None, None)
                        w.writerow([measure, interval, start, end, dim, grp, k, n, *map(fmt, values), partial])

    # The route_nonmedical model with disability, in statsmodels.
    frame = con.execute("SELECT * FROM frame").df()
    references = dict(pipeline["models"]["reference"], disability=next(iter(DISABILITY_LEVELS)))
    d = frame[frame["route_type"].isin(["medical", "non_medical"]) & frame["organisation"].notna()]
    for cv in MODEL_COVARIATES:
        d = d[d[cv] != "Unknown"]
    y = (d["route_type"] == "non_medical").astype(float).to_numpy()
    columns, names = [np.ones(len(d))], [("(Intercept)", "")]
    for cv in MODEL_COVARIATES:
        for level in sorted(set(d[cv]) - {references[cv]}):
            columns.append((d[cv] == level).astype(float).to_numpy())
            names.append((cv, level))
    x = np.column_stack(columns)
    clusters = pd.factorize(d["organisation"])[0]
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=1e-14, maxiter=200)
    robust = sm.GLM(y, x, family=sm.families.Binomial()).fit(
        tol=1e-14, maxiter=200, cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": True})
    with open(os.path.join(out, "models.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["model", "term", "level", "coefficient", "estimate", "std_error_model", "std_error", "n_obs", "n_clusters"])
        for (term, level), b, se, rse in zip(names, fit.params, fit.bse, robust.bse):
            w.writerow(["route_nonmedical", term, level, repr(float(b)), repr(math.exp(b)), repr(float(se)), repr(float(rse)),
                        len(d), len(set(clusters))])
    print(f"wrote {out}: DuckDB {duckdb.__version__}, statsmodels {statsmodels.__version__}; "
          f"{len(frame)} referrals, model on {len(d)} in {len(set(clusters))} organisations")
    if check:
        try:
            compare(os.path.join(fixture, "expected"), out)
        finally:
            shutil.rmtree(out)


if __name__ == "__main__":
    main()
