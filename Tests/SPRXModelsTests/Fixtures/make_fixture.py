"""Writes glm_fixture.csv: row-level data for the GLM tests.

Run: python3 make_fixture.py  (seeded; the committed CSV is its output).
Three factors (group: 4 levels, sex: 2, band: 3), 40 clusters with their own random
intercepts, a binary outcome from a logistic model and an overdispersed count from a
gamma-Poisson (negative binomial) model. Expected values come from expected.R.
"""
import csv
import math
import random

rng = random.Random(20261121)
groups = ["A", "B", "C", "D"]
sexes = ["F", "M"]
bands = ["young", "middle", "old"]
clusters = [f"U{10000 + i * 37}" for i in range(40)]
effects = {c: rng.gauss(0, 0.4) for c in clusters}
beta_group = {"A": 0.3, "B": 0.0, "C": -0.5, "D": 0.8}
beta_sex = {"F": 0.0, "M": -0.35}
beta_band = {"young": 0.25, "middle": 0.0, "old": -0.4}
count_group = {"A": 0.2, "B": 0.0, "C": -0.3, "D": 0.45}
count_sex = {"F": 0.0, "M": -0.2}
count_band = {"young": -0.15, "middle": 0.0, "old": 0.3}
theta = 1.7

rows = []
for i in range(2400):
    c = clusters[min(39, int(rng.paretovariate(1.2)) - 1)] if rng.random() < 0.5 else rng.choice(clusters)
    g = rng.choices(groups, weights=[3, 5, 2, 1])[0]
    s = rng.choice(sexes)
    b = rng.choices(bands, weights=[2, 3, 2])[0]
    eta = -0.6 + beta_group[g] + beta_sex[s] + beta_band[b] + effects[c]
    y = 1 if rng.random() < 1 / (1 + math.exp(-eta)) else 0
    mu = math.exp(0.9 + count_group[g] + count_sex[s] + count_band[b] + 0.5 * effects[c])
    lam = rng.gammavariate(theta, mu / theta)
    # Poisson draw by inversion (lam is small).
    k, p, u = 0, math.exp(-lam), rng.random()
    cum = p
    while u > cum:
        k += 1
        p *= lam / k
        cum += p
    rows.append((f"r{i + 1}", c, g, s, b, y, k))

with open("glm_fixture.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "cluster", "group", "sex", "band", "y", "count"])
    w.writerows(rows)
