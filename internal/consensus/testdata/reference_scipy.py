#!/usr/bin/python3
"""Reference values of the Wilcoxon signed-rank tests (stability), from SciPy.

    /usr/bin/python3 internal/consensus/testdata/reference_scipy.py internal/consensus/testdata/ref

Reads ref/cases.tsv and the CSVs it names and writes ref/reference_scipy.tsv in the format of
reference.R ("case <TAB> JSON path <TAB> value") for the paths
stability[.k].items.ITEM.wilcoxon.{wilcox,pratt}.approx.{statistic,p_value,z,r_plus,error}, using

    scipy.stats.wilcoxon(x, y, zero_method=Z, correction=False, alternative=A, mode/method="approx")

statistic, p_value and z come from the two-sided call (statistic = min(R+, R-), zstatistic =
(min(R+, R-) - mean)/sd, as in the definitions' worked example). r_plus comes from the one-sided
call (alternative="greater"), where SciPy's statistic is R+. The tests never call Python.
"""
import csv
import inspect
import math
import os
import sys
import warnings

import numpy as np
import scipy
from scipy import stats

ref = sys.argv[1] if len(sys.argv) > 1 else "ref"
mode_kw = "method" if "method" in inspect.signature(stats.wilcoxon).parameters else "mode"


def fmt(v):
    if v is None:
        return "null"
    if isinstance(v, str):
        return '"%s"' % v
    return "%.17g" % v


def wilcoxon(x, y, zm, alt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return stats.wilcoxon(x, y, zero_method=zm, correction=False, alternative=alt, **{mode_kw: "approx"})


def main():
    out = open(os.path.join(ref, "reference_scipy.tsv"), "w")
    out.write("# SciPy %s, NumPy %s; written by reference_scipy.py\n" % (scipy.__version__, np.__version__))
    with open(os.path.join(ref, "cases.tsv")) as f:
        cases = list(csv.DictReader(f, delimiter="\t"))
    for case in cases:
        name, top = case["file"], int(case["scale_max"])
        rated = {}  # (round, item) -> {panelist: rating}
        items, rounds = [], set()
        with open(os.path.join(ref, name), newline="", encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                r = int(row["round"])
                rounds.add(r)
                if row["item"] not in items:
                    items.append(row["item"])
                v = row["rating"]
                if v.isdigit() and 1 <= int(v) <= top:
                    rated.setdefault((r, row["item"]), {})[row["panelist"]] = int(v)
        rounds = sorted(rounds)
        for k in range(1, len(rounds)):
            frm, to = rounds[k - 1], rounds[k]
            sp = "stability." if len(rounds) == 2 else "stability.%d." % (k - 1)
            for it in items:
                a, b = rated.get((frm, it), {}), rated.get((to, it), {})
                pairs = sorted(set(a) & set(b))
                x = np.array([a[p] for p in pairs], dtype=float)
                y = np.array([b[p] for p in pairs], dtype=float)
                for zm in ("wilcox", "pratt"):
                    pre = "%s\t%sitems.%s.wilcoxon.%s.approx." % (name, sp, it, zm)
                    if len(pairs) == 0 or np.all(x == y):
                        err = "no_pairs" if len(pairs) == 0 else "all_differences_zero"
                        vals = {"statistic": None, "p_value": None, "z": None, "r_plus": None, "error": err}
                    else:
                        two = wilcoxon(x, y, zm, "two-sided")
                        one = wilcoxon(x, y, zm, "greater")
                        assert math.isclose(abs(one.zstatistic), abs(two.zstatistic), rel_tol=1e-12, abs_tol=1e-15)
                        # z is the two-sided test's: that of min(R+, R-), as in the definitions' example
                        vals = {"statistic": float(two.statistic), "p_value": float(two.pvalue),
                                "z": float(two.zstatistic), "r_plus": float(one.statistic), "error": None}
                    for key, v in vals.items():
                        out.write("%s%s\t%s\n" % (pre, key, fmt(v)))
    out.close()


if __name__ == "__main__":
    main()
