"""How fast gcmi is: one 1-D pair at n = 10^6, and ``bm.mi_matrix`` over 100 columns (4,950
pairs) at n = 10^4. Targets (issue 17): <= 2 s and <= 30 s on 2 cores.

    PYTHONPATH=. python benchmarks/gcmi_speed.py                   # both, 3 repeats
    PYTHONPATH=. python benchmarks/gcmi_speed.py --pair-only --repeat 5
    PYTHONPATH=. python benchmarks/gcmi_speed.py --columns 40      # a quicker matrix

Times are wall seconds of the call alone (data made before, imports done), the median of the
repeats, with the load average (``os.getloadavg``) before each, since the machine is shared. The
pair's time is split into its parts (checks and data hash, normal scores, the posterior draws)
by timing each on the same data. The matrix runs with ``n_jobs=1`` and ``n_jobs=2``; the first
``n_jobs=2`` call starts joblib's workers inside its time (a later call reuses them).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import time

import numpy as np
import pandas as pd

import bayesmi as bm
from bayesmi import copula, truth
from bayesmi.copula import normal_scores
from bayesmi.estimators.base import data_hash
from bayesmi.estimators.gcmi import invwishart_draws
from bayesmi.validation import check_paired
from benchmarks.mi_matrix_scaling import cpu_seconds


def _timed(fn, repeat: int) -> tuple[float, list[float], list[float], list[float]]:
    """``fn(rep)`` timed ``repeat`` times, each after emptying this process's score cache: the
    median wall seconds, each run's wall seconds, load averages before, and CPU seconds."""
    times, loads, cpus = [], [], []
    for rep in range(repeat):
        copula._cache.clear()
        copula._cache_used[0] = 0
        loads.append(os.getloadavg()[0])
        c0, t0 = cpu_seconds(), time.perf_counter()
        fn(rep)
        times.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return float(np.median(times)), times, loads, cpus


def pair(n: int, repeat: int) -> None:
    x, y, mi_true = truth.correlated_gaussian(0.6, n, seed=0)
    x, y = np.exp(x), y**3
    r = bm.estimate(x, y, method="gcmi", seed=0, progress=False)  # warm-up (imports, caches)
    med, times, loads, cpus = _timed(
        lambda rep: bm.estimate(x, y, method="gcmi", seed=0, progress=False), repeat
    )
    runs = ", ".join(f"{t:.2f}" for t in times)
    load = ", ".join(f"{v:.1f}" for v in loads)
    cpu = ", ".join(f"{v:.2f}" for v in cpus)
    print(
        f"one 1-D pair, n = {n:,}: median {med:.2f} s over {repeat} runs ({runs}; CPU s {cpu}; "
        f"load {load})"
    )
    print(f"  {r}")
    print(f"  truth {mi_true:.4f} nats")
    xc, yc, _ = check_paired(x, y)
    parts = {
        "checks": lambda: check_paired(x, y),
        "data hash": lambda: data_hash(xc, yc, None),
        "normal scores": lambda: normal_scores(np.hstack([xc, yc])),
        "1000 posterior draws": lambda: invwishart_draws(
            n - 1.0, np.eye(2) * n, 1000, np.random.default_rng(0)
        ),
    }
    for name, fn in parts.items():
        print(f"  {name:>22}: {_timed(lambda rep, f=fn: f(), repeat)[0]:.3f} s")  # wall


def matrix(n: int, p: int, repeat: int) -> None:
    rng = np.random.default_rng(1)
    factor = rng.standard_normal(n)
    data = 0.5 * factor[:, None] + np.sqrt(0.75) * rng.standard_normal((n, p))
    names = [f"c{i:03d}" for i in range(p)]
    pairs = p * (p - 1) // 2
    ref = None

    def run(n_jobs, rep):
        # Each repeat gets other bytes (exp(data + rep): the same scores, the same draws), so
        # no worker finds the columns' scores cached from an earlier repeat.
        df = pd.DataFrame(np.exp(data + rep), columns=names)
        return bm.mi_matrix(df, method="gcmi", seed=0, n_jobs=n_jobs, progress=False)

    for n_jobs in (1, 2):
        med, times, loads, cpus = _timed(lambda rep, nj=n_jobs: run(nj, 100 * nj + rep), repeat)
        m = run(n_jobs, 0)
        draws = m.data["mi"].values
        ref = draws if ref is None else ref
        same = f", draws identical to n_jobs=1: {np.array_equal(ref, draws, equal_nan=True)}"
        runs = ", ".join(f"{t:.1f}" for t in times)
        load = ", ".join(f"{v:.1f}" for v in loads)
        cpu = ", ".join(f"{v:.1f}" for v in cpus)
        print(
            f"mi_matrix gcmi, {p} columns ({pairs:,} pairs), n = {n:,}, n_jobs={n_jobs}: median "
            f"{med:.1f} s ({runs}; CPU s {cpu}; load {load}), {1e3 * med / pairs:.2f} ms a "
            f"pair{same}"
        )
    # 0.5^2 = 0.25 correlation between any two columns: MI -1/2 log(1 - 0.0625) = 0.0323 nats.
    print(f"  mean MI over pairs {np.nanmean(m.mean.values[np.triu_indices(p, 1)]):.4f} nats "
          f"(truth {truth.gaussian_mi_value(0.25):.4f})")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-pair", type=int, default=1_000_000)
    p.add_argument("--n-matrix", type=int, default=10_000)
    p.add_argument("--columns", type=int, default=100)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--pair-only", action="store_true")
    p.add_argument("--matrix-only", action="store_true")
    args = p.parse_args()
    print(f"bayesmi {bm.__version__}, numpy {np.__version__}, {os.cpu_count()} cores")
    if not args.matrix_only:
        pair(args.n_pair, args.repeat)
    if not args.pair_only:
        matrix(args.n_matrix, args.columns, args.repeat)


if __name__ == "__main__":
    main()
