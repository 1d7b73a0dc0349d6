"""How bm.mi_matrix scales: a matrix of 1-D columns at n samples, with ksg and with gmm, at
n_jobs=1, n_jobs=2 and on a 2-worker Dask LocalCluster (speed-up from 1 to 2 workers), and the
cost per pair as the matrix grows.

    PYTHONPATH=. python benchmarks/mi_matrix_scaling.py                      # 32 columns, n 5000
    PYTHONPATH=. python benchmarks/mi_matrix_scaling.py --sizes 4 8 --n 1000  # a quick look
    PYTHONPATH=. python benchmarks/mi_matrix_scaling.py --sizes 12 --interleave 3  # speed-ups

The columns: a 1-D latent factor seen through each column with correlation 0.5 plus noise, so
every pair has MI (-1/2 log(1 - 0.25^2) = 0.032 nats). A symmetric matrix of p columns has
p (p - 1) / 2 pairs. Each configuration is timed once, all in one process, one after the other;
the machine's load average (``os.getloadavg``) is printed beside each time, since a shared
machine makes the 2-worker figures fall short of what an idle one gives. The three runs of one
method must give identical draws (checked).
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

#: Kept small so that 496 pairs take minutes, not hours (stated in docs/matrix.md).
SETTINGS = {
    "ksg": {"n_draws": 30, "n_permutations": 0},
    "gmm": {"n_bootstrap": 10},
}


def columns(n: int, p: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal(n)
    data = 0.5 * factor[:, None] + np.sqrt(0.75) * rng.standard_normal((n, p))
    return pd.DataFrame(data, columns=[f"c{i:02d}" for i in range(p)])


def timed(fn):
    load = os.getloadavg()[0]
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t, load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--methods", nargs="+", default=["ksg", "gmm"])
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument(
        "--interleave",
        type=int,
        default=0,
        metavar="R",
        help="instead: R rounds of (n_jobs=1, n_jobs=2, dask) on the largest size, one after the "
        "other, so that a changing load hits all three alike; prints each round's speed-ups",
    )
    args = ap.parse_args()
    big = max(args.sizes)
    print(f"n = {args.n}, columns {args.sizes}, settings {SETTINGS}, cpus {os.cpu_count()}")
    client = cluster = None
    if not args.no_dask:
        from distributed import Client, LocalCluster

        (cluster, t_start, _) = timed(
            lambda: LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
            )
        )
        client = Client(cluster)
        print(f"LocalCluster(2 workers) started in {t_start:.1f} s (not counted below)")
    # Start the local workers before timing (as the cluster's start is not timed either), and
    # let every worker import bayesmi once.
    warm = columns(300, 3)
    bm.mi_matrix(warm, method="bins", n_jobs=2, progress=False, n_bootstrap=5)
    if client is not None:
        bm.mi_matrix(
            warm, method="bins", backend="dask", client=client, progress=False, n_bootstrap=5
        )
    if args.interleave:
        interleave(args, client)
        return
    rows = []
    for method in args.methods:
        kw = {"method": method, "seed": 0, "progress": False, **SETTINGS[method]}
        for p in args.sizes:
            df = columns(args.n, p)
            pairs = p * (p - 1) // 2
            runs = [("n_jobs=1", {"n_jobs": 1})]
            if p == big:
                runs += [("n_jobs=2", {"n_jobs": 2})]
                if client is not None:
                    runs += [("dask 2 workers", {"backend": "dask", "client": client})]
            ref = None
            for label, extra in runs:
                m, secs, load = timed(
                    lambda df=df, kw=kw, extra=extra: bm.mi_matrix(df, **kw, **extra)
                )
                if ref is None:
                    ref = m
                else:
                    np.testing.assert_array_equal(ref.data["mi"].values, m.data["mi"].values)
                rows.append(
                    {
                        "method": method,
                        "columns": p,
                        "pairs": pairs,
                        "run": label,
                        "seconds": round(secs, 1),
                        "ms_per_pair": round(1000 * secs / pairs, 1),
                        "load_before": round(load, 2),
                        "load_after": round(os.getloadavg()[0], 2),
                    }
                )
                print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    for method in args.methods:
        t = table[(table["method"] == method) & (table["columns"] == big)].set_index("run")[
            "seconds"
        ]
        for label in t.index[1:]:
            print(f"{method}: speed-up {t['n_jobs=1'] / t[label]:.2f}x with {label}")
    print(table.to_string(index=False))
    if client is not None:
        client.close()
        cluster.close()


def interleave(args, client) -> None:
    p = max(args.sizes)
    df = columns(args.n, p)
    runs = [("n_jobs=1", {"n_jobs": 1}), ("n_jobs=2", {"n_jobs": 2})]
    if client is not None:
        runs.append(("dask 2 workers", {"backend": "dask", "client": client}))
    for method in args.methods:
        kw = {"method": method, "seed": 0, "progress": False, **SETTINGS[method]}
        ratios: dict[str, list[float]] = {label: [] for label, _ in runs[1:]}
        for r in range(args.interleave):
            secs = {}
            for label, extra in runs:
                _, secs[label], load = timed(
                    lambda kw=kw, extra=extra: bm.mi_matrix(df, **kw, **extra)
                )
                print(f"{method} round {r}: {label} {secs[label]:.1f} s, load {load:.1f}")
            for label in ratios:
                ratios[label].append(secs["n_jobs=1"] / secs[label])
        for label, values in ratios.items():
            print(
                f"{method}, {p} columns, n {args.n}: speed-up with {label}: "
                f"{', '.join(f'{v:.2f}' for v in values)}; median {np.median(values):.2f}x"
            )


if __name__ == "__main__":
    main()
