#!/usr/bin/env python3
"""Independent population denominators for Tests/SPRXEnrichTests/PopulationTests.swift.

Computes, with DuckDB SQL straight from the reference CSVs (no sprx code), the figures
the tests expect: the resident population of each nation, some (nation, decile,
rurality) groups, a European Standard Population age group and a pipeline age band
from the single-year files, and a two-authority catchment. The groups are formed as
sprx groups referrals: each nation's own deprivation decile (IMD 2019, WIMD 2019,
SIMD 2020v2, NIMDM 2017) and rurality (RUC 2011, SG 2016, NISRA 2015).

Usage: python3 scripts/expected/population_denominators.py [REFERENCE_DIR]
(default SampleData/reference; needs `pip install duckdb`).
"""
import sys

import duckdb

ref = sys.argv[1] if len(sys.argv) > 1 else "SampleData/reference"
db = duckdb.connect()


def csv(name):
    return f"read_csv('{ref}/{name}', header=true, all_varchar=true)"


db.execute(f"""
create table totals as
  select area_code, cast(population as bigint) as population from {csv('pop_mid2019_uk_small_areas_total.csv.gz')};
create table deciles as
  select area_code, cast(decile as int) as decile, lad19_code as la_code, lad19_name as la_name from {csv('imd2019_england_lsoa11.csv.gz')}
  union all select area_code, cast(decile as int), null, la_name from {csv('wimd2019_wales_lsoa11.csv.gz')}
  union all select area_code, cast(decile as int), la_code, la_name from {csv('simd2020v2_scotland_dz11.csv.gz')}
  union all select area_code, cast(decile as int), lgd14_code, lgd14_name from {csv('nimdm2017_ni_soa.csv.gz')};
create table rurality as
  select area_code, urban_rural from {csv('ruc2011_ew_lsoa11.csv.gz')}
  union all select area_code, urban_rural from {csv('sgurc2016_scotland_dz11.csv.gz')}
  union all select area_code, urban_rural from {csv('nisra_urban_rural2015_ni_soa.csv.gz')};
create table areas as
  select t.area_code, t.population,
    case when t.area_code like 'E01%' then 'England' when t.area_code like 'W01%' then 'Wales'
         when t.area_code like 'S01%' then 'Scotland' when t.area_code like '95%' then 'Northern Ireland' end as nation,
    coalesce(d.decile, 0) as decile, coalesce(r.urban_rural, 'Unknown') as rurality, d.la_code, d.la_name
  from totals t left join deciles d using (area_code) left join rurality r using (area_code)
  where t.population > 0;
create table ew_sya as select * from {csv('pop_mid2019_ew_lsoa11_sya.csv.gz')};
create table scot_sya as select * from {csv('pop_mid2020_scotland_dz11_sya_sex.csv.gz')} where sex = 'persons';
""")


def show(label, sql):
    print(f"{label}: {db.execute(sql).fetchall()}")


show("areas and population per nation", "select nation, count(*), sum(population) from areas group by nation order by nation")
show("areas without a decile", "select count(*) from areas where decile = 0")
show("England decile 1", "select sum(population) from areas where nation = 'England' and decile = 1")
show("England decile 1 Urban", "select sum(population) from areas where nation = 'England' and decile = 1 and rurality = 'Urban'")
show("Wales Rural", "select sum(population) from areas where nation = 'Wales' and rurality = 'Rural'")
show("Northern Ireland decile 10 Mixed", "select sum(population) from areas where nation = 'Northern Ireland' and decile = 10 and rurality = 'Mixed'")
show(
    "Scotland decile 10 ESP 0-4 (persons, mid-2020)",
    """select sum(cast(age_0 as bigint) + cast(age_1 as bigint) + cast(age_2 as bigint) + cast(age_3 as bigint) + cast(age_4 as bigint))
       from scot_sya s join areas a using (area_code) where a.decile = 10""")
show(
    "England decile 1 Urban ESP 90+ (mid-2019)",
    """select sum(cast(age_90plus as bigint)) from ew_sya s join areas a using (area_code)
       where a.nation = 'England' and a.decile = 1 and a.rurality = 'Urban'""")
show(
    "Wales age band 85+ (mid-2019)",
    """select sum(cast(age_85 as bigint) + cast(age_86 as bigint) + cast(age_87 as bigint) + cast(age_88 as bigint)
       + cast(age_89 as bigint) + cast(age_90plus as bigint)) from ew_sya where area_code like 'W01%'""")
show(
    "Wales age band 18-24 (mid-2019)",
    """select sum(cast(age_18 as bigint) + cast(age_19 as bigint) + cast(age_20 as bigint) + cast(age_21 as bigint)
       + cast(age_22 as bigint) + cast(age_23 as bigint) + cast(age_24 as bigint)) from ew_sya where area_code like 'W01%'""")
show(
    "catchment Hartlepool (E06000001) + Denbighshire: areas, population per nation",
    """select nation, count(*), sum(population) from areas
       where la_code = 'E06000001' or lower(la_name) = 'denbighshire' group by nation order by nation""")
show(
    "catchment Hartlepool + Denbighshire: Wales decile 1 population",
    "select sum(population) from areas where lower(la_name) = 'denbighshire' and decile = 1")
