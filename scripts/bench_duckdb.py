#!/usr/bin/env python3
"""The benchmark's DuckDB side: the same job as `sprx run`'s tables, in SQL, over the same files.

1. The referral frame (duckdb_frame.build_base): reads the gzip CSV files, normalises
   route/sex/ethnicity/contacted labels with the pipeline's label lists, casts ages and
   counts, bands ages, joins each nation's own deprivation index and rurality lookup.
   With ROWS `dedup` the exact repeats are taken out first (SELECT DISTINCT: data with
   `sprx generate --duplicates`, no invalid row); with `ledger` (data with `--messy`) the
   files are read with the dialect given (the sniffer is misled by an unterminated
   quote), rows sprx quarantines are dropped (field count, encoding, missing
   referral_id/person_id/referral_date, a date in none of the pipeline's forms or outside
   its window, age not 0-120, contacts or interventions not whole numbers) and of the
   rows left, the first per trimmed referral_id is kept (a later one is a duplicate or a
   conflict), in file order (the rows are loaded into a table first: its row ids keep
   that order).
2. Route type and route by group for every dimension of route_type_by_group.csv, with
   group totals (the queries of duckdb_route_tables.py).
3. The pathway by group and route type: referred, contacted, with an intervention
   (pathway_by_group.csv).
4. Population rates by group: residents from the pipeline's population files, referrals
   from them in the period, crude rates and rates standardised to the 2013 European
   Standard Population (the queries of duckdb_rates.py).
5. Per organisation: referrals, non-medical, contacted, with an intervention, and the
   same per parent of the pipeline's organisation lookup (organisations.csv).

It writes the route-type counts (dimension, group, route_type, n) to OUT_CSV for
bench_check.py, which compares them with sprx's table.

Usage: bench_duckdb.py DATA_DIR PIPELINE_YAML THREADS OUT_CSV [ROWS]   (ROWS: plain, dedup, ledger)
"""
import csv, os, sys
from duckdb_frame import build_base, create_residents

data_dir, pipeline_path, threads, out_csv = sys.argv[1:5]
rows_mode = sys.argv[5] if len(sys.argv) > 5 else "plain"
FILES = f"'{data_dir}/*.csv.gz'"


def dedup(con, pipeline):
    return f"(SELECT DISTINCT * FROM read_csv({FILES}, header=true, all_varchar=true))"


def ledger(con, pipeline):
    """The clean rows of a messy export, first per referral_id, as sprx's clean stage keeps them."""
    con.execute(f"""CREATE TABLE raw AS SELECT * FROM read_csv({FILES}, header=true, all_varchar=true,
                    ignore_errors=true, delim=',', quote='"', escape='"')""")
    dates = pipeline.get("dates", {})
    first, last = dates.get("from", "0001-01-01"), dates.get("to", "9999-12-31")
    whole = "regexp_full_match(trim({0}), '[0-9]+')"
    optional = lambda c: f"(coalesce(trim({c}), '') = '' OR {whole.format(c)})"
    con.execute(f"""
      CREATE TABLE valid AS
      SELECT * EXCLUDE (day, rid) REPLACE (strftime(day, '%Y-%m-%d') AS referral_date) FROM (
        SELECT *, rowid AS rid, coalesce(try_strptime(trim(referral_date), '%Y-%m-%d'), try_strptime(trim(referral_date), '%d/%m/%Y'),
                                         try_strptime(trim(referral_date), '%Y-%m-%dT%H:%M:%SZ'))::DATE AS day
        FROM raw
        WHERE coalesce(trim(referral_id), '') <> '' AND coalesce(trim(person_id), '') <> '' AND coalesce(trim(referral_date), '') <> ''
      )
      WHERE day BETWEEN DATE '{first}' AND DATE '{last}'
        AND {optional('age')} AND (coalesce(trim(age), '') = '' OR CAST(trim(age) AS BIGINT) <= 120)
        AND {optional('contacts')} AND {optional('interventions')}
      QUALIFY row_number() OVER (PARTITION BY trim(referral_id) ORDER BY rid) = 1""")
    return "valid"


con, pipeline = build_base(data_dir, pipeline_path, threads=int(threads),
                           source={"plain": None, "dedup": dedup, "ledger": ledger}[rows_mode])
ref = os.path.join(os.path.dirname(os.path.abspath(pipeline_path)), pipeline["enrich"]["reference_dir"])
dims = {"all": "'all'", "age_band": "age_band", "sex": "sex", "ethnicity": "ethnicity", "imd_decile": "imd_decile",
        "imd_quintile": "imd_quintile", "rurality": "rurality", "nation": "nation",
        "nation/imd_quintile": "nation || '/' || imd_quintile", "nation/imd_decile": "nation || '/' || imd_decile"}

# 2. Route type and route by group (duckdb_route_tables.py's queries).
route_types = []
for category in ("route_type", "route"):
    for dim, expr in dims.items():
        got = con.execute(f"""
          SELECT g, c, n, sum(n) OVER (PARTITION BY g) AS total FROM (
            SELECT CAST({expr} AS VARCHAR) AS g, {category} AS c, count(*) AS n FROM base GROUP BY ALL)""").fetchall()
        if category == "route_type":
            route_types += [(dim, g, c, n) for g, c, n, _ in got]

# 3. Pathway by group and route type (and all route types).
for dim, expr in dims.items():
    con.execute(f"""
      SELECT CAST({expr} AS VARCHAR) AS g, coalesce(route_type, 'all') AS t, count(*) AS referred,
             sum(contacted) AS contacted, sum(CASE WHEN coalesce(interventions, 0) > 0 THEN 1 ELSE 0 END) AS intervention
      FROM base GROUP BY GROUPING SETS ((g, route_type), (g))""").fetchall()

# 4. Population rates (duckdb_rates.py's queries).
population = pipeline.get("population") or {}
if isinstance(population, dict):
    totals = population.get("totals", {})
    create_residents(con, ref, totals)
    first, last = con.execute("SELECT min(referral_day), max(referral_day) FROM base").fetchone()
    if population.get("period"):
        first, last = population["period"]["first"], population["period"]["last"]
    con.execute(f"CREATE TABLE resident_referrals AS SELECT b.* FROM base b JOIN residents r ON r.area = b.area "
                f"WHERE b.referral_day BETWEEN DATE '{first}' AND DATE '{last}'")
    sya = population.get("single_year_of_age", {})
    if sya:
        selects = []
        for nation, src in sya.items():
            where = f"WHERE {src['sex_column']} = '{src['sex']}'" if "sex_column" in src else ""
            cols = ", ".join([f"({' + '.join(f'CAST(age_{a} AS BIGINT)' for a in range(5 * g, 5 * g + 5))}) AS g{g}" for g in range(18)]
                             + ["CAST(age_90plus AS BIGINT) AS g18"])
            selects.append(f"SELECT area_code AS area, {cols} FROM read_csv('{ref}/{src['file']}', header=true, all_varchar=true) {where}")
        con.execute("CREATE TABLE ages AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(selects) + ")")
    groups = {"all": "'all'", "nation": "nation", "nation/imd_decile": "nation || '/' || imd_decile",
              "nation/imd_quintile": "nation || '/' || imd_quintile", "nation/rurality": "nation || '/' || rurality"}
    for dim, expr in groups.items():
        group_expr = expr.replace("nation", "r.nation").replace("imd_", "r.imd_").replace("rurality", "r.rurality")
        con.execute(f"SELECT {expr}, sum(population) FROM residents GROUP BY ALL").fetchall()
        con.execute(f"SELECT {group_expr}, count(*) FROM resident_referrals b JOIN residents r ON r.area = b.area GROUP BY ALL").fetchall()
        if sya:
            con.execute(f"SELECT {group_expr}, " + ", ".join(f"sum(a.g{i})" for i in range(19))
                        + " FROM residents r LEFT JOIN ages a ON a.area = r.area GROUP BY ALL").fetchall()
            con.execute(f"SELECT {group_expr}, least(b.age // 5, 18), count(*) FROM resident_referrals b JOIN residents r ON r.area = b.area "
                        f"WHERE b.age IS NOT NULL AND b.age BETWEEN 0 AND 120 GROUP BY ALL").fetchall()

# 5. Per organisation, and per parent of the lookup.
con.execute("""CREATE TABLE per_organisation AS
  SELECT organisation, count(*) AS referrals, sum(CASE WHEN route_type = 'non_medical' THEN 1 ELSE 0 END) AS non_medical,
         sum(contacted) AS contacted, sum(CASE WHEN coalesce(interventions, 0) > 0 THEN 1 ELSE 0 END) AS intervention
  FROM base WHERE organisation IS NOT NULL GROUP BY ALL""")
lookup = (pipeline.get("organisations") or {}).get("lookup") if isinstance(pipeline.get("organisations"), dict) else None
if lookup:
    path = os.path.join(os.path.dirname(os.path.abspath(pipeline_path)), lookup["file"])
    con.execute(f"""SELECT l.parent_code, sum(o.referrals), sum(o.non_medical), sum(o.contacted), sum(o.intervention)
                    FROM per_organisation o JOIN read_csv('{path}', header=true, all_varchar=true) l ON upper(l.code) = o.organisation
                    GROUP BY ALL""").fetchall()

with open(out_csv, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["dimension", "group", "route_type", "n"])
    w.writerows(sorted(route_types))
