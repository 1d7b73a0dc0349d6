"""Peak memory and time of one pair at large n (default 10^6 samples) through bm.mi_matrix, per
method, each in a fresh process.

    PYTHONPATH=. python benchmarks/mi_matrix_bign.py                 # ksg, bins, gmm at n = 10^6
    PYTHONPATH=. python benchmarks/mi_matrix_bign.py --n 100000 --methods ksg
    PYTHONPATH=. python benchmarks/mi_matrix_bign.py --n 200000 --exp-y \
        --methods gmm gmm_full_selection

Per method it reports: the resident set size after the imports, a small warm-up run and the
data (baseline), the
peak resident set size of the process (``resource.getrusage(RUSAGE_SELF).ru_maxrss``), and the
peak of the memory that Python and numpy allocated during the call (``tracemalloc``; numpy
reports its array buffers to it), with the wall time. The data: x ~ N(0, 1), y = 0.6 x + noise
(true MI 0.2231 nats), one column each.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import subprocess
import sys

#: Per-method settings: the draws are kept few at 10^6 (each ksg draw is a k-NN pass over all
#: the data); memory does not grow with their number.
SETTINGS = {
    "ksg": {"n_draws": 12, "n_permutations": 0},
    "bins": {},
    "gmm": {"n_draws": 10},
    # The count chosen on all the data instead of a 20,000-row subsample, to compare with "gmm".
    "gmm_full_selection": {"n_draws": 10, "select_subsample": None},
}

CHILD = r"""
import json, resource, sys, time, tracemalloc
import numpy as np
import bayesmi as bm
from bayesmi import truth

method, n, settings, exp_y = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
label, method = method, method.split("_")[0]
# A small run first, so the baseline holds every library the call imports (pandas, xarray,
# scipy's k-d tree, ...) and the figures below are what the data cost.
x, y, _ = truth.correlated_gaussian(0.6, 500, seed=1)
bm.mi_matrix(x, y, method=method, seed=0, progress=False, **settings)
x, y, mi_true = truth.correlated_gaussian(0.6, n, seed=0)
if exp_y == "1":
    y = np.exp(y)  # an invertible map: the MI is unchanged, the joint is no longer Gaussian
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tracemalloc.start()
t = time.perf_counter()
m = bm.mi_matrix(x, y, method=method, seed=0, progress=False, **settings)
secs = time.perf_counter() - t
_, traced = tracemalloc.get_traced_memory()
tracemalloc.stop()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r = m.result("x0", "y0")
print(json.dumps({
    "method": label, "n": n, "exp_y": exp_y == "1", "settings": settings, "seconds": round(secs, 1),
    "baseline_rss_MiB": round(base), "peak_rss_MiB": round(peak),
    "traced_peak_MiB": round(traced / 2**20), "data_MiB": round(2 * n * 8 / 2**20),
    "mean_nats": round(r.mean, 4), "sd_nats": round(r.sd, 4), "true_nats": round(mi_true, 4),
    "n_components": int(m.data["n_components"].values[0, 0]),
}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--methods", nargs="+", default=["ksg", "bins", "gmm"])
    ap.add_argument("--exp-y", action="store_true", help="y -> exp(y): MI unchanged, not Gaussian")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}")
    for method in args.methods:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                method,
                str(args.n),
                json.dumps(SETTINGS[method]),
                "1" if args.exp_y else "0",
            ],
            capture_output=True,
            text=True,
        )
        if out.returncode:
            print(out.stderr[-2000:])
            continue
        print(out.stdout.strip().splitlines()[-1], flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
