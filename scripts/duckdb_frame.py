"""The referral frame rebuilt in DuckDB, independently of sprx.

Reads the gzip CSV files and the same reference lookups as sprx, maps labels with the
label lists of the pipeline file (case-insensitive, trimmed, inner spaces collapsed),
bands ages and joins each nation's own deprivation index and rurality. Shared by
duckdb_route_tables.py (table recount) and check_models.py (regression cross-check).
For data written by `sprx generate` without --messy (every row valid, no duplicates).
"""
import os
import duckdb, yaml


def norm(s):
    return " ".join(s.strip().lower().split())


def build_base(data_dir, pipeline_path, threads=None, carry=None, source=None):
    """Returns (connection, pipeline) with table `base`: one row per referral.

    `carry` maps further column names of `base` to header names of the files whose raw
    text they keep (e.g. {"reasons_raw": "referral_reasons"}), for a caller that maps them itself.
    `source`, if given, is a function of the connection and pipeline returning the SQL
    relation to read the rows from instead of the files (e.g. one with repeats and
    invalid rows taken out: bench_duckdb.py)."""
    carry = carry or {}
    carried_raw = "".join(f", \"{header}\" AS {alias}" for alias, header in carry.items())
    carried = "".join(f", raw.{alias}" for alias in carry)
    pipeline = yaml.load(open(pipeline_path), Loader=yaml.BaseLoader)  # every scalar as text, as sprx reads them
    ref = os.path.join(os.path.dirname(os.path.abspath(pipeline_path)), pipeline["enrich"]["reference_dir"])
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")

    route_rows = [(norm(l), rid, r["type"]) for rid, r in pipeline["routes"].items() for l in r["labels"]]
    con.execute("CREATE TABLE route_map(label VARCHAR, route VARCHAR, route_type VARCHAR)")
    con.executemany("INSERT INTO route_map VALUES (?, ?, ?)", route_rows)
    sex_rows = [(norm(l), k.capitalize()) for k, ls in pipeline["labels"]["sex"].items() for l in ls]
    con.execute("CREATE TABLE sex_map(label VARCHAR, sex VARCHAR)")
    con.executemany("INSERT INTO sex_map VALUES (?, ?)", sex_rows)
    eth_rows = [(norm(l), k.capitalize()) for k, ls in pipeline["labels"]["ethnicity"].items() for l in ls]
    con.execute("CREATE TABLE eth_map(label VARCHAR, ethnicity VARCHAR)")
    con.executemany("INSERT INTO eth_map VALUES (?, ?)", eth_rows)

    con.execute("CREATE TABLE contacted_map(label VARCHAR, flag VARCHAR)")
    con.executemany("INSERT INTO contacted_map VALUES (?, ?)",
                    [(norm(str(l)), k) for k, ls in pipeline["labels"]["contacted"].items() if k != "unknown" for l in ls])

    dep = pipeline["enrich"]["deprivation"]; rur = pipeline["enrich"]["rurality"]
    con.execute("CREATE TABLE dep AS " + " UNION ALL ".join(
        f"SELECT area_code, CAST(decile AS INTEGER) AS decile FROM read_csv('{ref}/{v['file']}', header=true, all_varchar=true)"
        for v in dep.values()))
    con.execute("CREATE TABLE rur AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(
        f"SELECT area_code, CASE WHEN urban_rural LIKE 'Mixed%' THEN 'Mixed' ELSE urban_rural END AS rurality FROM read_csv('{ref}/{v['file']}', header=true, all_varchar=true)"
        for v in rur.values()) + ")")

    bands = pipeline["enrich"]["age_bands"]
    case = []
    for b in bands:
        if b.endswith("+"):
            case.append(f"WHEN age >= {int(b[:-1])} THEN '{b}'")
        else:
            lo, hi = b.split("-"); case.append(f"WHEN age BETWEEN {lo} AND {hi} THEN '{b}'")
    age_case = "CASE " + " ".join(case) + " ELSE 'Unknown' END"

    rows = source(con, pipeline) if source else f"read_csv('{data_dir}/*.csv.gz', header=true, all_varchar=true)"
    con.execute(f"""
    CREATE TABLE base AS
    WITH raw AS (
      SELECT TRY_CAST(trim(age) AS INTEGER) AS age, regexp_replace(lower(trim(coalesce(sex,''))), '\\s+', ' ', 'g') AS sex_l,
             regexp_replace(lower(trim(coalesce(ethnicity,''))), '\\s+', ' ', 'g') AS eth_l, upper(trim(coalesce(area_code,''))) AS area,
             regexp_replace(lower(trim(coalesce(referral_source,''))), '\\s+', ' ', 'g') AS src_l,
             nullif(upper(trim(coalesce(organisation_id,''))), '') AS organisation,
             TRY_CAST(trim(contacts) AS INTEGER) AS contacts, TRY_CAST(trim(interventions) AS INTEGER) AS interventions,
             regexp_replace(lower(trim(coalesce(contacted,''))), '\\s+', ' ', 'g') AS contacted_l,
             coalesce(try_strptime(trim(referral_date), '%Y-%m-%d'), try_strptime(trim(referral_date), '%d/%m/%Y'))::DATE AS referral_day{carried_raw}
      FROM {rows}
    )
    SELECT {age_case} AS age_band,
           coalesce(s.sex, 'Unknown') AS sex,
           coalesce(e.ethnicity,
             CASE WHEN eth_l = '99' THEN 'Unknown'
                  WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'A' AND 'C' THEN 'White'
                  WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'D' AND 'G' THEN 'Mixed'
                  WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'H' AND 'L' THEN 'Asian'
                  WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'M' AND 'P' THEN 'Black'
                  WHEN length(eth_l) <= 2 AND upper(left(eth_l,1)) BETWEEN 'R' AND 'S' THEN 'Other'
                  ELSE 'Unknown' END) AS ethnicity,
           CASE WHEN area LIKE 'E01%' THEN 'England' WHEN area LIKE 'W01%' THEN 'Wales'
                WHEN area LIKE 'S01%' THEN 'Scotland' WHEN area LIKE '95%' THEN 'Northern Ireland' ELSE 'Unknown' END AS nation,
           coalesce(CAST(d.decile AS VARCHAR), 'Unknown') AS imd_decile,
           coalesce(CAST((d.decile + 1) // 2 AS VARCHAR), 'Unknown') AS imd_quintile,
           coalesce(u.rurality, 'Unknown') AS rurality,
           coalesce(m.route, 'unknown') AS route,
           replace(coalesce(m.route_type, 'unknown'), '-', '_') AS route_type,
           organisation, contacts, interventions, area, age, referral_day,
           CASE WHEN c.flag = 'yes' THEN 1 WHEN c.flag = 'no' THEN 0 WHEN coalesce(contacts, 0) > 0 THEN 1 ELSE 0 END AS contacted{carried}
    FROM raw
    LEFT JOIN sex_map s ON s.label = raw.sex_l
    LEFT JOIN eth_map e ON e.label = raw.eth_l
    LEFT JOIN dep d ON d.area_code = raw.area
    LEFT JOIN rur u ON u.area_code = raw.area
    LEFT JOIN route_map m ON m.label = raw.src_l
    LEFT JOIN contacted_map c ON c.label = raw.contacted_l
    """)
    return con, pipeline


def create_residents(con, ref, totals):
    """Creates the table `residents`: each small area of the population totals file
    (the pipeline's `population.totals`) with a population above 0, its residents and
    the groups sprx gives a referral from it (nation by code prefix, its own nation's
    deprivation decile and quintile, rurality), from `dep` and `rur` of build_base."""
    totals_file = totals.get("file", "pop_mid2019_uk_small_areas_total.csv.gz")
    code_col, pop_col = totals.get("code_column", "area_code"), totals.get("population_column", "population")
    con.execute(f"""
    CREATE TABLE residents AS
    SELECT p.area_code AS area, CAST(p.{pop_col} AS BIGINT) AS population,
           CASE WHEN p.area_code LIKE 'E01%' THEN 'England' WHEN p.area_code LIKE 'W01%' THEN 'Wales'
                WHEN p.area_code LIKE 'S01%' THEN 'Scotland' WHEN p.area_code LIKE '95%' THEN 'Northern Ireland' ELSE 'Unknown' END AS nation,
           coalesce(CAST(d.decile AS VARCHAR), 'Unknown') AS imd_decile,
           coalesce(CAST((d.decile + 1) // 2 AS VARCHAR), 'Unknown') AS imd_quintile,
           coalesce(u.rurality, 'Unknown') AS rurality
    FROM (SELECT {code_col} AS area_code, {pop_col} FROM read_csv('{ref}/{totals_file}', header=true, all_varchar=true)) p
    LEFT JOIN dep d ON d.area_code = p.area_code
    LEFT JOIN rur u ON u.area_code = p.area_code
    WHERE CAST(p.{pop_col} AS BIGINT) > 0""")
