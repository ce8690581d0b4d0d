#!/usr/bin/env python3
"""Convert PHEindicatormethods' own test data into the fixtures of RateStatisticsTests
and InequalityIndexTests (Tests/SPRXAggregateTests/Fixtures/phe_*.csv).

Source: the R package PHEindicatormethods (Public Health England, now UKHSA),
github.com/ukhsa-collaboration/PHEindicatormethods, files tests/testthat/
testdata_Rate.xlsx, testdata_Byars_Wilson.xlsx, testdata_DSR_ISR.xlsx and
testdata_SII.xlsx, with the test calls of tests/testthat/testRates.R, testDSRs.R and
testSII.R (which rows go with which arguments). Only data values are copied; no code.

Usage: python3 scripts/expected/phe_fixtures.py PATH_TO_A_PHEindicatormethods_GIT_DIR
(needs pandas and openpyxl). Rerunning on the same commit gives the same bytes.
"""
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

repo = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/ukhsa-collaboration+PHEindicatormethods/repo"
out = Path(__file__).resolve().parents[2] / "Tests/SPRXAggregateTests/Fixtures"
commit = subprocess.check_output(["git", "-C", repo, "rev-parse", "HEAD"], text=True).strip()


def sheet(name, **kw):
    blob = subprocess.check_output(["git", "-C", repo, "show", f"HEAD:tests/testthat/{name}"])
    return pd.read_excel(io.BytesIO(blob), **kw)


def write(name, frame, what):
    header = (f"# {what}\n# Source: PHEindicatormethods ({'ukhsa-collaboration/PHEindicatormethods'}) commit {commit},\n"
              f"# converted by scripts/expected/phe_fixtures.py.\n")
    text = frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    (out / name).write_text(header + text)


# Crude rates (testdata_Rate.xlsx, sheet testdata_Rate; testRates.R rows 1-16 and 20:
# exact below 10 events, Byar's from 10, 95% and 99.8%).
rate = sheet("testdata_Rate.xlsx", sheet_name="testdata_Rate")
rate = rate[rate.Numerator.notna() & rate.Denominator.notna()]
rate = rate[["Numerator", "Denominator", "multiplier", "value", "lower95_0cl", "upper95_0cl",
             "lower99_8cl", "upper99_8cl", "method"]]
rate.columns = ["count", "denominator", "multiplier", "value", "lower95", "upper95", "lower998", "upper998", "method"]
rate["count"] = rate["count"].astype(int)
write("phe_rates.csv", rate, "phe_rate: rate and 95%/99.8% limits (tests/testthat/testdata_Rate.xlsx, sheet testdata_Rate).")

# Byar's limits alone (testdata_Byars_Wilson.xlsx, rows with method Byars).
bw = sheet("testdata_Byars_Wilson.xlsx", sheet_name="testdata_B_W")
bw = bw[bw.method == "Byars"][["x", "confidence", "lowercl", "uppercl"]].copy()
bw["confidence"] = bw["confidence"].str.rstrip("%").astype(float) / 100
bw.columns = ["count", "confidence", "lower", "upper"]
write("phe_byars.csv", bw, "byars_lower/byars_upper (tests/testthat/testdata_Byars_Wilson.xlsx); empty lower = NA.")

# DSRs: inputs (testdata_multiarea with ESP 2013, testdata_1976 with its own esp1976
# weights) and expected results (testresults_DSR, rows tested in testDSRs.R: areas big,
# small, tiny at multipliers 10,000 and 100,000 with esp2013; 1976 at 95% only).
multi = sheet("testdata_DSR_ISR.xlsx", sheet_name="testdata_multiarea")
multi["count"] = multi["count"].fillna(0).astype(int)
multi["weight"] = ""  # ESP 2013: the test uses EuropeanStandardPopulation
multi = multi[["area", "ageband", "count", "pop", "weight"]]
d1976 = sheet("testdata_DSR_ISR.xlsx", sheet_name="testdata_1976")
d1976 = pd.DataFrame({"area": "testdata_1976", "ageband": d1976["Age Band"], "count": d1976["count"].astype(int),
                      "pop": d1976["pop"], "weight": d1976["esp1976"]})
write("phe_dsr_inputs.csv", pd.concat([multi, d1976]),
      "calculate_dsr inputs (testdata_DSR_ISR.xlsx sheets testdata_multiarea, testdata_1976); empty weight = ESP 2013; "
      "empty counts read as 0, as PHE does.")
res = sheet("testdata_DSR_ISR.xlsx", sheet_name="testresults_DSR")
res = res[~res.area.str.startswith("testdata_nonind")].copy()
res["multiplier"] = res["statistic"].str.extract(r"per (\d+)").astype(float)
res.loc[res.area == "testdata_tiny", "multiplier"] = [10000.0, 100000.0]
# The 1976 rows' 99.8% limits in the sheet are not what PHE tests (testDSRs.R checks the
# 1976 area at 95% only, and those cells are out by a factor of 10): dropped.
res.loc[res.area == "testdata_1976", ["lower99_8cl", "upper99_8cl"]] = float("nan")
res = res[["area", "multiplier", "total_count", "total_pop", "value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl"]]
res.columns = ["area", "multiplier", "total_count", "total_pop", "value", "lower95", "upper95", "lower998", "upper998"]
write("phe_dsr_expected.csv", res, "calculate_dsr results (testdata_DSR_ISR.xlsx sheet testresults_DSR); empty value = withheld (< 10 events).")

# SII/RII (testdata_SII.xlsx). Each case: the rows testSII.R passes and the arguments it
# passes with them (the sheet's Confidence column does not always say, so taken from
# the test calls). uncertainty: se = StandardError column, cl = LowerCL/UpperCL.
cases = [
    # name, first RecordNo, rows, value_type, transform, multiplier, confidences, uncertainty
    ("default_se", 1, 20, 0, False, 1, [0.95], "se"),
    ("default_cl", 1, 20, 0, False, 1, [0.95], "cl"),
    ("default_99", 21, 20, 0, False, 1, [0.99], "cl"),
    ("default_10000_reps", 41, 20, 0, False, 1, [0.95], "se"),
    ("default_quintiles", 61, 10, 0, False, 1, [0.95], "se"),
    ("rate_se", 71, 20, 1, False, 1, [0.95], "se"),
    ("rate_cl", 71, 20, 1, False, 1, [0.95], "cl"),
    ("proportion_se", 91, 20, 2, False, 1, [0.95], "se"),
    ("proportion_cl", 91, 20, 2, False, 1, [0.95], "cl"),
    ("proportion_x100", 111, 20, 2, False, 100, [0.95], "cl"),
    ("proportion_x-100", 131, 20, 2, False, -100, [0.95], "cl"),
    ("default_95_99", 226, 20, 0, False, 1, [0.95, 0.99], "se"),
    ("default_intercept", 246, 20, 0, False, 1, [0.95], "cl"),
    ("rate_intercept", 266, 20, 1, False, 1, [0.95], "cl"),
    ("rate_log", 306, 20, 1, True, 1, [0.95], "cl"),
    ("proportion_logit", 326, 20, 2, True, 1, [0.95], "cl"),
    ("proportion_logit_x-1", 346, 20, 2, True, -1, [0.95], "cl"),
    ("rate_log_95_98", 366, 20, 1, True, 1, [0.95, 0.98], "cl"),
    ("rate_log_x-1", 386, 20, 1, True, -1, [0.95], "cl"),
    ("rate_log_98", 406, 20, 1, True, 1, [0.98], "cl"),
    ("proportion_logit_98", 466, 20, 2, True, 1, [0.98], "cl"),
    ("proportion_logit_95_98", 486, 20, 2, True, 1, [0.95, 0.98], "cl"),
]
sii = sheet("testdata_SII.xlsx")
inputs, expected = [], []
for name, first, rows, vtype, transform, mult, confs, unc in cases:
    block = sii[(sii.RecordNo >= first) & (sii.RecordNo < first + rows)]
    for area, g in block.groupby("Area", sort=True):
        g = g.sort_values("Quantile")
        for _, r in g.iterrows():
            inputs.append(dict(case=name, area=area, quantile=int(r.Quantile), population=r.Population, value=r.Value,
                               lower_cl=r.LowerCL if unc == "cl" else None, upper_cl=r.UpperCL if unc == "cl" else None,
                               standard_error=r.StandardError if unc == "se" else None))
        top = g.iloc[0]
        for k, conf in enumerate(confs, start=1):
            expected.append(dict(case=name, area=area, value_type=vtype, transform=int(transform), multiplier=mult,
                                 confidence=conf, repetitions=int(top.Repetitions), quantiles=len(g),
                                 sii=top.sii, rii=top.rii,
                                 sii_lower=top[f"sii_lowercl_{k}"], sii_upper=top[f"sii_uppercl_{k}"],
                                 rii_lower=top[f"rii_lowercl_{k}"], rii_upper=top[f"rii_uppercl_{k}"],
                                 intercept=top.Intercept))
write("phe_sii_inputs.csv", pd.DataFrame(inputs), "phe_sii inputs (tests/testthat/testdata_SII.xlsx), one row per quantile, 1 = most deprived.")
write("phe_sii_expected.csv", pd.DataFrame(expected),
      "phe_sii expected SII/RII and simulated limits (tests/testthat/testdata_SII.xlsx; arguments from testSII.R); "
      "one row per case, area and confidence level.")
print("wrote", out)
