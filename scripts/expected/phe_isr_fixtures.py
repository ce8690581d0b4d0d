#!/usr/bin/env python3
"""Copy PHEindicatormethods' own test data for indirectly standardised ratios and ratio
funnels into the fixtures of CaseMixTests (Tests/SPRXAggregateTests/Fixtures/phe_isr_*.csv
and phe_funnel_ratio_*.csv).

Source: the R package PHEindicatormethods (Public Health England, now UKHSA),
github.com/ukhsa-collaboration/PHEindicatormethods, files tests/testthat/
testdata_DSR_ISR.xlsx (sheets testdata_multiarea: three areas' counts and populations by
19 age bands; refdata: the reference counts and populations; testresults_ISR: what
calculate_ISRatio gives, as testISRatios.R uses them), testdata_funnel_ratio_inputs.csv
(observed, expected and the significance assign_funnel_significance(statistic =
"ratio") gives) and testdata_funnel_ratio_outputs.csv (calculate_funnel_limits(statistic
= "ratio", ratio_type = "count" and "isr"), as testFunnels.R uses them). Only data
values are copied, no code.

Needs pandas and openpyxl (a venv: python3 -m venv /tmp/v && /tmp/v/bin/pip install pandas openpyxl).
Usage: python3 scripts/expected/phe_isr_fixtures.py [PATH_TO_A_PHEindicatormethods_GIT_DIR]
Rerunning on the same commit gives the same bytes.
"""
import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

repo = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/ukhsa-collaboration+PHEindicatormethods/repo"
out = Path(__file__).resolve().parents[2] / "Tests/SPRXAggregateTests/Fixtures"
commit = subprocess.check_output(["git", "-C", repo, "rev-parse", "HEAD"], text=True).strip()


def blob(name):
    return subprocess.check_output(["git", "-C", repo, "show", f"HEAD:tests/testthat/{name}"])


def rows(name):
    return list(csv.reader(io.StringIO(blob(name).decode("utf-8-sig"))))


def write(name, table, what):
    header = (f"# {what}\n# Source: PHEindicatormethods (ukhsa-collaboration/PHEindicatormethods) commit {commit},\n"
              f"# tests/testthat; converted by scripts/expected/phe_isr_fixtures.py.\n")
    (out / name).write_text(header + "".join(",".join(str(v) for v in r) + "\n" for r in table))


sheets = pd.read_excel(io.BytesIO(blob("testdata_DSR_ISR.xlsx")), sheet_name=None)
multi = sheets["testdata_multiarea"]
bands = list(sheets["refdata"]["Age Band"])
write("phe_isr_inputs.csv", [["area", "stratum", "count", "pop"]]
      + [[r.area, bands.index(r.ageband), "" if pd.isna(r["count"]) else int(r["count"]), int(r["pop"])] for _, r in multi.iterrows()],
      "testdata_DSR_ISR.xlsx sheet testdata_multiarea: count and pop per area and age band (stratum = the band's row in refdata; an empty count is NA)")
ref = sheets["refdata"]
write("phe_isr_refdata.csv", [["stratum", "refcount", "refpop"]]
      + [[i, int(r.refcount), int(r.refpop)] for i, r in ref.iterrows()],
      "testdata_DSR_ISR.xlsx sheet refdata: the reference counts and populations per age band")
results = sheets["testresults_ISR"]
ratio = results[results.statistic == "indirectly standardised ratio x 1"]
columns = ["area", "observed", "expected", "value", "lower95_0cl", "upper95_0cl", "lower99_8cl", "upper99_8cl", "method"]
write("phe_isr_results.csv", [columns] + [[repr(v) if isinstance(v, float) else v for v in r] for r in ratio[columns].values.tolist()],
      "testdata_DSR_ISR.xlsx sheet testresults_ISR, the rows 'indirectly standardised ratio x 1' (calculate_ISRatio, refvalue 1, confidence 0.95 and 0.998)")
write("phe_funnel_ratio_inputs.csv", rows("testdata_funnel_ratio_inputs.csv"),
      "testdata_funnel_ratio_inputs.csv: obs, expected, assign_funnel_significance(statistic = 'ratio')'s result")
outputs = rows("testdata_funnel_ratio_outputs.csv")
outputs[0] = [c.strip() for c in outputs[0]]
write("phe_funnel_ratio_outputs.csv", outputs,
      "testdata_funnel_ratio_outputs.csv: calculate_funnel_limits(statistic = 'ratio'), *_isr columns for ratio_type 'isr' (multiplier 100)")
print("wrote", out)
