#!/usr/bin/env python3
"""Independent expected values for ProvisionTableTests (Tests/SPRXAggregateTests/
ProvisionTableTests.swift): PCN deprivation scores, quintiles and link worker FTE per
50,000 registered patients for a few real PCNs, and the provision-by-deprivation
gradient for one census date, computed with DuckDB (SQL) and statsmodels straight from
the four shared primary-care files in SampleData/reference/.

- PCN score: list-size-weighted mean of member practices' IMD 2019 scores, membership
  and list sizes from the latest practice extract, practices without a score left out.
- Quintiles: every scored PCN ranked by score (highest first, ties by code) into five
  equal-count fifths (ntile(5) in SQL).
- FTE per 50,000: splw_fte at the census date / registered patients of the nearest
  extract within 31 days (the later on a tie) × 50,000.
- Gradient: per quintile 50,000 × sum(FTE) / sum(patients) over PCNs with both; its
  standard error is the HC1 robust standard error of a WLS regression of FTE per patient
  on a constant with the patients as weights (statsmodels), which is the ratio
  estimator's linearised between-PCN standard error. SII/RII point estimates: the
  population-share-weighted least squares line of the five values on the quintiles'
  cumulative-share midpoints (statsmodels WLS), SII = slope, RII = (a + b) / a.

Usage: python3 scripts/expected/provision_reference.py  (needs duckdb, statsmodels)
"""
from pathlib import Path

import duckdb
import numpy as np
import statsmodels.api as sm

ref = Path(__file__).resolve().parents[2] / "SampleData/reference"
con = duckdb.connect()
con.execute(f"""
create view practices as select * from read_csv('{ref}/gp_practice_pcn_lookup_england.csv.gz', all_varchar=true);
create view scores as select practice_code, try_cast(imd2019_score as double) as score
  from read_csv('{ref}/gp_practice_imd2019_fingertips_england.csv.gz', all_varchar=true);
create view registered as select extract_date::date as extract_date, pcn_code, registered_patients::bigint as patients
  from read_csv('{ref}/pcn_registered_patients_england.csv.gz', all_varchar=true);
create view workforce as select census_date::date as census_date, pcn_code, splw_fte::double as fte
  from read_csv('{ref}/pcn_splw_fte_england.csv.gz', all_varchar=true);
create table pcn_score as
  with latest as (select * from practices where extract_date = (select max(extract_date) from practices) and pcn_code <> 'U')
  select l.pcn_code,
         sum(l.registered_patients::bigint * s.score) / sum(case when s.score is not null then l.registered_patients::bigint end) as score
  from latest l left join scores s using (practice_code)
  group by l.pcn_code having count(s.score) > 0;
create table pcn_quintile as
  select pcn_code, score, ntile(5) over (order by score desc, pcn_code) as quintile from pcn_score;
""")

print("# PCN scores and quintiles")
for code in ["U89141", "U00070", "U11559"]:
    row = con.execute("select score, quintile from pcn_quintile where pcn_code = ?", [code]).fetchone()
    print(code, "score %.10f quintile %d" % row)
print("scored PCNs", con.execute("select count(*) from pcn_quintile").fetchone()[0])


def nearest_extract(census):
    return con.execute(
        """select extract_date from (select distinct extract_date from registered)
           where abs(date_diff('day', ?::date, extract_date)) <= 31
           order by abs(date_diff('day', ?::date, extract_date)), extract_date desc limit 1""",
        [census, census]).fetchone()[0]


print("# FTE per 50,000")
for code, census in [("U89141", "2025-11-30"), ("U89141", "2025-03-31"), ("U11559", "2025-11-30")]:
    extract = nearest_extract(census)
    fte, patients = con.execute(
        """select w.fte, r.patients from workforce w join registered r on r.pcn_code = w.pcn_code
           where w.pcn_code = ? and w.census_date = ?::date and r.extract_date = ?""", [code, census, extract]).fetchone()
    print(code, census, "extract", extract, "fte", fte, "patients", patients, "per 50000 %.10f" % (50000 * fte / patients))

census = "2025-11-30"
extract = nearest_extract(census)
frame = con.execute(
    """select q.pcn_code, q.quintile, w.fte, r.patients from pcn_quintile q
       join registered r on r.pcn_code = q.pcn_code and r.extract_date = ?
       join workforce w on w.pcn_code = q.pcn_code and w.census_date = ?::date
       order by q.pcn_code""", [extract, census]).df()
print("# gradient", census, "extract", extract)
values, weights, errors = [], [], []
for group in [1, 2, 3, 4, 5, "all"]:
    part = frame if group == "all" else frame[frame.quintile == group]
    y = part.fte / part.patients
    fit = sm.WLS(y, np.ones(len(part)), weights=part.patients).fit(cov_type="HC1")
    value, se = 50000 * fit.params.iloc[0], 50000 * fit.bse.iloc[0]
    print(group, "pcns", len(part), "fte %.6f" % part.fte.sum(), "patients", int(part.patients.sum()),
          "value %.10f ci %.10f %.10f" % (value, value - 1.959963984540054 * se, value + 1.959963984540054 * se))
    if group != "all":
        values.append(value)
        weights.append(part.patients.sum())
shares = np.array(weights, dtype=float) / sum(weights)
ranks = np.cumsum(shares) - shares / 2
line = sm.WLS(np.array(values), sm.add_constant(ranks), weights=shares).fit()
a, b = line.params
print("sii %.10f rii %.10f" % (b, (a + b) / a))
