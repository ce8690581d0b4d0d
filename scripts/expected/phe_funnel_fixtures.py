#!/usr/bin/env python3
"""Copy PHEindicatormethods' own funnel test data for proportions into the fixtures of
FunnelLimitTests (Tests/SPRXAggregateTests/Fixtures/phe_funnel_*.csv).

Source: the R package PHEindicatormethods (Public Health England, now UKHSA),
github.com/ukhsa-collaboration/PHEindicatormethods, files tests/testthat/
testdata_funnel_prop_inputs.csv (303 areas: numerator, denominator and the significance
assign_funnel_significance gives), testdata_funnel_prop_outputs.csv (the limits
calculate_funnel_limits gives for all of them, multiplier 100) and
testdata_funnel_prop_outputs_with_axis_variation.csv (the same for the areas with a
denominator below 31,000), as testFunnels.R uses them. Only data values are copied, no
code; the area names are dropped (they hold commas and the tests need none).

Usage: python3 scripts/expected/phe_funnel_fixtures.py [PATH_TO_A_PHEindicatormethods_GIT_DIR]
Rerunning on the same commit gives the same bytes.
"""
import csv
import io
import subprocess
import sys
from pathlib import Path

repo = sys.argv[1] if len(sys.argv) > 1 else "/work/.mirror/ukhsa-collaboration+PHEindicatormethods/repo"
out = Path(__file__).resolve().parents[2] / "Tests/SPRXAggregateTests/Fixtures"
commit = subprocess.check_output(["git", "-C", repo, "rev-parse", "HEAD"], text=True).strip()


def rows(name):
    text = subprocess.check_output(["git", "-C", repo, "show", f"HEAD:tests/testthat/{name}"]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def write(name, table, what):
    header = (f"# {what}\n# Source: PHEindicatormethods (ukhsa-collaboration/PHEindicatormethods) commit {commit},\n"
              f"# tests/testthat; converted by scripts/expected/phe_funnel_fixtures.py.\n")
    (out / name).write_text(header + "".join(",".join(r) + "\n" for r in table))


inputs = rows("testdata_funnel_prop_inputs.csv")
write("phe_funnel_prop_inputs.csv", [r[1:] for r in inputs],
      "testdata_funnel_prop_inputs.csv without Area: numerator, denominator, assign_funnel_significance's result")
write("phe_funnel_prop_outputs.csv", rows("testdata_funnel_prop_outputs.csv"),
      "testdata_funnel_prop_outputs.csv: calculate_funnel_limits(statistic = 'proportion', multiplier = 100), all areas")
write("phe_funnel_prop_outputs_axis.csv", rows("testdata_funnel_prop_outputs_with_axis_variation.csv"),
      "testdata_funnel_prop_outputs_with_axis_variation.csv: the same for the areas with denominator < 31000")
print("wrote", out)
