#!/usr/bin/env python3
"""The self-test of scripts/check_report.py: each fixture page fails on exactly its rule.

Usage: scripts/test_check_report.py   (exits 0 when every case holds, 1 otherwise)

The fixtures in scripts/check-report-fixtures/ are a good page (passes every rule), one
bad page per rule, and report-before.html: the sample report as sprx wrote it before
issue 25's fixes, which fails on contrast, overflow, summary and pages.
bad-text-overlap.html is the rates-by-decile chart of the sample report as main 4f4867e
wrote it: the rotated y-axis titles of its stacked panels run into each other (seen in
the committed docs/report-section-reach.png of that commit, "...per yearReferrals..."). The expected
failures are what the pages were built to show, checked by hand in Chromium; the one
contrast figure asserted, 3.07:1 for #222222 on #0072B2, is the WCAG 2 formula worked by
hand (relative luminances 0.01600 and 0.15249: (0.15249 + 0.05) / (0.01600 + 0.05) = 3.068)
and is the figure issue 25 reports from its own screenshots.
"""

import contextlib
import io
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_report  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check-report-fixtures")

# page: (the rules it must fail, exactly; text that must appear in one of its violations)
CASES = {
    "good.html": (set(), None),
    "bad-contrast-svg.html": ({"contrast"}, "3.07:1 #222222 on #0072B2 in text"),
    "bad-wide-table.html": ({"overflow-screen", "overflow-print"}, "table in section#data"),
    "bad-print-overflow.html": ({"overflow-print"}, "table in section#data"),
    "bad-cell-overflow.html": ({"overflow-screen", "overflow-print"}, "its cell"),
    "bad-tall-chart.html": ({"overflow-print"}, "svg in section#"),
    "bad-svg-text-cut.html": ({"overflow-screen", "overflow-print"}, "is drawn outside its chart"),
    "bad-text-overlap.html": ({"overlap"}, "runs into text"),
    "bad-no-summary.html": ({"summary"}, "there is no element #summary"),
    "bad-tall-summary.html": ({"summary"}, "#summary runs"),
    "bad-too-many-pages.html": ({"pages"}, "the A4 print has 13 pages"),
    "report-before.html": ({"overflow-screen", "overflow-print", "contrast", "summary", "pages"},
                           "3.07:1 #222222 on #0072B2 in text.onbar"),
}


def main():
    failures = 0
    with tempfile.TemporaryDirectory(prefix="sprx-check-report-test-") as work, check_report.Browser() as browser:
        for page, (expected, needle) in CASES.items():
            violations, pages = check_report.check(browser, os.path.join(FIXTURES, page), os.path.join(work, page + ".pdf"))
            failed = {rule for rule, _ in violations}
            problems = []
            if failed != expected:
                problems.append(f"failed {sorted(failed) or 'nothing'}, expected {sorted(expected) or 'nothing'}")
            if needle and not any(needle in text for _, text in violations):
                problems.append(f"no violation says {needle!r}")
            if problems:
                failures += 1
                print(f"FAIL {page}: " + "; ".join(problems))
                for rule, text in violations:
                    print(f"     {rule}: {text}")
            else:
                print(f"ok   {page}: " + (f"fails on {', '.join(sorted(failed))} ({len(violations)} violations, {pages} pages)" if failed else f"passes ({pages} page{'s' if pages != 1 else ''})"))
    # The command line: its exit status is what make and CI act on.
    with tempfile.TemporaryDirectory(prefix="sprx-check-report-test-") as work:
        for args, status in [([os.path.join(FIXTURES, "good.html")], 0),
                             ([os.path.join(FIXTURES, "bad-contrast-svg.html")], 1),
                             ([os.path.join(work, "no-such-report.html")], 2)]:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                got = check_report.main(args + ["--pdf", os.path.join(work, "out.pdf")])
            if got != status:
                failures += 1
                print(f"FAIL check_report.py {os.path.basename(args[0])} exited {got}, expected {status}")
            else:
                print(f"ok   check_report.py {os.path.basename(args[0])} exits {status}")
    total = len(CASES) + 3
    print(f"check-report self-test: {total - failures} of {total} cases as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except check_report.CheckError as error:
        print(f"check-report self-test: cannot run: {error}", file=sys.stderr)
        sys.exit(2)
