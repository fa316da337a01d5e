#!/usr/bin/env python3
"""Writes the reference cases testdata/ref/*.csv and testdata/ref/cases.tsv.

The cases are inputs only; reference.R and reference_scipy.py compute the expected values from
them, and reference_test.go checks delphi against those. Deterministic (fixed seeds), so running
it again rewrites the same files:

    python3 internal/consensus/testdata/make_cases.py
"""
import os
import random

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ref")
HEADER = "panelist,group,item,round,rating\n"
GROUPS = ["clinician", "nurse", "patient", "regulator"]


def write(name, rows):
    with open(os.path.join(HERE, name), "w", newline="") as f:
        f.write(HEADER)
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


def fixed(item, rnd, ratings, panel):
    """Rows giving ratings[i] to panel[i]; the rest of the panel leaves the item blank."""
    rows = []
    for i, (p, g) in enumerate(panel):
        rows.append((p, g, item, rnd, ratings[i] if i < len(ratings) else ""))
    return rows


def edges():
    panel = [("P%02d" % (i + 1), GROUPS[i % 4]) for i in range(20)]
    r1 = {
        "E_n0": [],                                   # n = 0: everyone blank
        "E_unable": ["U", "0"] * 10,                  # all unable
        "E_n1": [5],                                  # n = 1
        "E_n2": [2, 8],                               # n = 2
        "E_same": [7] * 20,                           # all identical
        "E_in70": [7] * 14 + [1, 2] + [5] * 4,        # exactly 70% high, 10% low: in
        "E_low15": [8] * 14 + [1, 2, 3] + [5] * 3,    # 70% high but exactly 15% low: none
        "E_out70": [2] * 14 + [9, 9] + [4] * 4,       # exactly 70% low, 10% high: out
        "E_high15": [3] * 14 + [7, 8, 9] + [5] * 3,   # 70% low, exactly 15% high: none
        "E_med35": [3] * 10 + [4] * 10,               # median 3.5
        "E_med65": [6] * 10 + [7] * 10,               # median 6.5
        "E_ipr_eq12": [2, 3, 3, 3, 6, 6, 6, 6, 7, 8, 8, 9],  # IPR = IPRAS = 2.8 (doubles: 2.8 > 2.7999999999999985)
        "E_ipr_eq7": [1, 1, 3, 5, 6, 6, 7],           # IPR = IPRAS = 3.4
        "E_disagree": [1, 1, 1, 1, 9, 9, 9, 9, 5],    # clear disagreement
    }
    r2 = {
        "E_n0": [],                                   # no pairs
        "E_unable": [5] * 20,                         # no pairs (round 1 all unable)
        "E_n1": [6],
        "E_n2": [2, 8],                               # all differences zero
        "E_same": [7] * 20,                           # all differences zero
        "E_in70": [7] * 12 + [8, 8, 1, 3] + [5, 6, 6, 4],  # zeros and ties: wilcox and pratt differ
        "E_low15": [8] * 10 + [9] * 4 + [1, 2, 3] + [6] * 3,
        "E_out70": [3] * 14 + [9, 8] + [4] * 4,
        "E_high15": [3] * 14 + [7, 8, 9] + [5] * 3,
        "E_med35": [4] * 10 + [3] * 10,
        "E_med65": [7] * 10 + [6] * 10,
        "E_ipr_eq12": [2, 3, 3, 3, 6, 6, 6, 6, 7, 8, 8, 9],
        "E_ipr_eq7": [1, 2, 3, 5, 6, 7, 7],
        "E_disagree": [2, 1, 1, 1, 9, 8, 9, 9, 5],
    }
    rows = []
    for item, ratings in r1.items():
        rows += fixed(item, 1, ratings, panel)
    for item, ratings in r2.items():
        rows += fixed(item, 2, ratings, panel)
    random.Random(7).shuffle(rows)  # rows in any order
    write("edges.csv", rows)


def rand_worked():
    # RAND/UCLA manual worked example: 15 ratings on 4..9 with counts 1,1,1,5,5,2.
    ratings = [4, 5, 6] + [7] * 5 + [8] * 5 + [9] * 2
    panel = [("P%02d" % (i + 1), GROUPS[i % 2]) for i in range(15)]
    write("rand_worked.csv", fixed("A1", 1, ratings, panel))


def kendall_cases():
    # Constant raters only: W uncorrected = 0, corrected null (denominator 0).
    rows = []
    for p, v in (("K1", 3), ("K2", 5), ("K3", 9)):
        for i in range(5):
            rows.append((p, "g", "I%d" % i, 1, v))
    # Round 2: one constant rater among others.
    for p, vs in (("K1", [4, 4, 4, 4, 4]), ("K2", [1, 2, 3, 4, 5]), ("K3", [2, 2, 9, 9, 5])):
        for i, v in enumerate(vs):
            rows.append((p, "g", "I%d" % i, 2, v))
    write("kendall_constant.csv", rows)
    # One item: insufficient_items; and a lone complete panelist in round 2.
    rows = [("A", "g", "only", 1, 5), ("B", "g", "only", 1, 6), ("A", "g", "only", 2, 7), ("B", "g", "only", 2, "U")]
    write("kendall_one_item.csv", rows)


def random_case(name, seed, scale, n_panel, n_items, n_rounds, groups, p_missing, p_unable, p_skip):
    rng = random.Random(seed)
    panel = [("R%03d" % (i + 1), groups[rng.randrange(len(groups))]) for i in range(n_panel)]
    centre = {("X%02d" % j): rng.randint(1, scale) for j in range(n_items)}
    rows = []
    for rnd in range(1, n_rounds + 1):
        for p, g in panel:
            if rng.random() < p_skip:
                continue  # did not submit this round
            answered = False
            for item, c in centre.items():
                u = rng.random()
                if u < p_missing:
                    if rng.random() < 0.5:
                        continue  # no row at all: missing
                    v = ""
                elif u < p_missing + p_unable:
                    v = rng.choice(["U", "0"])
                else:
                    v = min(scale, max(1, c + rng.randint(-2, 2) - (rnd > 1 and rng.random() < 0.3)))
                rows.append((p, g, item, rnd, v))
                answered = True
            if not answered:
                rows.append((p, g, "X00", rnd, ""))
    rng.shuffle(rows)
    write(name, rows)


def main():
    os.makedirs(HERE, exist_ok=True)
    edges()
    rand_worked()
    kendall_cases()
    random_case("random9.csv", 1, 9, 40, 8, 3, ["clinician", "nurse", "patient", "industry", "regulator"], 0.08, 0.05, 0.1)
    random_case("random5.csv", 2, 5, 25, 6, 2, ["clinician", "nurse", "patient"], 0.1, 0.05, 0.1)
    random_case("complete9.csv", 3, 9, 60, 12, 2, ["a", "b", "c", "d", "e", "f"], 0.0, 0.0, 0.0)
    with open(os.path.join(HERE, "cases.tsv"), "w") as f:
        f.write("file\tscale_max\n")
        for name, scale in (("edges.csv", 9), ("rand_worked.csv", 9), ("kendall_constant.csv", 9),
                            ("kendall_one_item.csv", 9), ("random9.csv", 9), ("random5.csv", 5),
                            ("complete9.csv", 9)):
            f.write("%s\t%d\n" % (name, scale))


if __name__ == "__main__":
    main()
