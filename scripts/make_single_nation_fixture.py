#!/usr/bin/env python3
"""Writes SampleData/single-nation/sheffield_referrals.csv: a synthetic export shaped like a
local service's, for make check-report's second report (one nation, one panel a chart).

Usage: scripts/make_single_nation_fixture.py [ROWS]   (default 1500; same rows, same bytes)

Shaped unlike sprx's own samples: ';' delimited, Windows-1252, CRLF, its own headers, no
interventions column, every area in Sheffield (E08000019), 3% of ages 'unknown', ids
headed 'Case Number', organisation = a registered GP practice of Sheffield (sub-ICB 03N).
Areas and practices are read from SampleData/reference; everything else is drawn at
random from a fixed seed. No person's data: every value is made up here.
"""
import csv
import gzip
import io
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REFERENCE = os.path.join(ROOT, "SampleData", "reference")
OUT = os.path.join(ROOT, "SampleData", "single-nation", "sheffield_referrals.csv")

random.seed(7)
with gzip.open(os.path.join(REFERENCE, "imd2019_england_lsoa11.csv.gz"), "rt") as f:
    lsoas = sorted(r["area_code"] for r in csv.DictReader(f) if r["lad19_code"] == "E08000019")
with gzip.open(os.path.join(REFERENCE, "gp_practice_pcn_lookup_england.csv.gz"), "rt") as f:
    practices = sorted({r["practice_code"] for r in csv.DictReader(f) if r["sub_icb_code"] == "03N" and r["extract_date"] == "2025-03-01"})
sources = [("GP Surgery", 40), ("Practice Nurse", 6), ("Hospital Discharge", 6), ("Social Worker", 8), ("Housing Officer", 4), ("Self", 14),
           ("Friend/Family", 5), ("Charity", 7), ("School", 2), ("Job Centre", 3), ("Not recorded", 5)]
reasons = ["Low mood", "Loneliness", "Debt", "Housing", "Long-term condition", "Bereavement", "Carer support"]
genders = [("Female", 55), ("Male", 41), ("Prefer not to say", 3), ("Non-binary", 1)]
ethnic_groups = [("White British", 70), ("White Other", 5), ("Pakistani", 7), ("Black African", 4), ("Mixed", 3), ("Other", 3), ("Not stated", 8)]


def pick(weighted):
    r = random.uniform(0, sum(w for _, w in weighted))
    for value, w in weighted:
        r -= w
        if r <= 0:
            return value
    return weighted[-1][0]


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["Case Number", "Client ID", "Date Referred", "Age", "Gender", "Ethnic Group", "LSOA", "Referred By", "Reason for Referral",
                "Contact Made", "No. of Contacts", "Practice", "Notes"])
    for i in range(rows):
        d = random.randrange(0, 3 * 365)
        year, day_of_year = 2023 + d // 365, d % 365
        month, day = min(12, 1 + day_of_year // 31), 1 + day_of_year % 28
        age = "unknown" if random.random() < 0.03 else str(random.randint(16, 92))
        contact = random.random() < 0.88
        w.writerow([f"SP{100000 + i}", f"C{random.randint(10000, 99999)}", f"{day:02d}/{month:02d}/{year}", age, pick(genders), pick(ethnic_groups),
                    random.choice(lsoas), pick(sources), ", ".join(random.sample(reasons, random.randint(1, 2))), "Yes" if contact else "No",
                    str(random.randint(1, 6)) if contact else "0", random.choice(practices), "Café meeting" if random.random() < 0.01 else ""])
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(out.getvalue().encode("cp1252"))
    print(f"wrote {rows} rows to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
