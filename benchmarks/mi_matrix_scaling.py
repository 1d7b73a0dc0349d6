"""How bm.mi_matrix scales: a matrix of 1-D columns at n samples, with ksg and with gmm, at
n_jobs=1, n_jobs=2 and on a 2-worker Dask LocalCluster: the speed-up from 1 to 2 workers, and the
cost per pair as the matrix grows (8, 16, 32 columns).

    PYTHONPATH=. python benchmarks/mi_matrix_scaling.py                       # 8, 16, 32 columns
    PYTHONPATH=. python benchmarks/mi_matrix_scaling.py --sizes 4 8 --n 1000  # a quick look
    PYTHONPATH=. python benchmarks/mi_matrix_scaling.py --rounds 3 --wait-below 1  # shared machine
    PYTHONPATH=. python benchmarks/mi_matrix_scaling.py --ceiling 3   # the machine's own limit

The columns: a 1-D latent factor seen through each column with correlation 0.5 plus noise, so
every pair has MI (-1/2 log(1 - 0.25^2) = 0.032 nats). A symmetric matrix of p columns has
p (p - 1) / 2 pairs. For each method and size, the three runs go one after the other (so that a
changing load hits all three alike) and must give identical draws (checked). On a shared machine,
``--wait-below`` waits for a quiet moment before each method and size, and the summary keeps
only those whose load average stayed below ``--max-load`` (2.5; two busy workers alone make it
about 2) before and after each of the three runs.

Nothing is warmed up outside the timed region: the first n_jobs=2 call starts joblib's worker
processes and the first Dask call imports bayesmi on the workers, inside their times (later
calls reuse the workers, as a session would). Only the LocalCluster's own start is left out (and
printed). Beside each time: the load average (``os.getloadavg``) before and after, since the
machine is shared and a second worker competes with every other process for the cores, and the
CPU seconds of this process and all its children (workers, nannies) during the call.

``--ceiling R``: R rounds of the same pairs (``bm.estimate``, no mi_matrix) in 1 process and
split over 2 independent processes started together after their imports: the speed-up that 2
processes get on this machine with no dispatch at all, the most a 2-worker run can reach.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import multiprocessing as mp
import time

import numpy as np
import pandas as pd

import bayesmi as bm

#: Kept small so that 496 pairs take minutes, not hours (stated in docs/matrix.md).
SETTINGS = {
    "ksg": {"n_draws": 30, "n_permutations": 0},
    "gmm": {"n_draws": 10},
}


def columns(n: int, p: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal(n)
    data = 0.5 * factor[:, None] + np.sqrt(0.75) * rng.standard_normal((n, p))
    return pd.DataFrame(data, columns=[f"c{i:02d}" for i in range(p)])


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its live children (nan without psutil)."""
    try:
        import psutil
    except ImportError:
        return float("nan")
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def timed(fn):
    load, cpu = os.getloadavg()[0], cpu_seconds()
    t = time.perf_counter()
    out = fn()
    secs = time.perf_counter() - t
    return out, secs, load, cpu_seconds() - cpu


def wait_for_quiet(below: float, timeout_s: float) -> float:
    """Wait (at most timeout_s) until the 1-minute load average is below ``below``."""
    t = time.monotonic()
    while os.getloadavg()[0] >= below and time.monotonic() - t < timeout_s:
        time.sleep(10)
    return os.getloadavg()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--methods", nargs="+", default=["ksg", "gmm"])
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        metavar="R",
        help="R rounds of every (method, size): each runs n_jobs=1, n_jobs=2 and dask one after "
        "the other; speed-ups are the median over the rounds measured below --max-load",
    )
    ap.add_argument(
        "--wait-below",
        type=float,
        default=0.0,
        metavar="L",
        help="before each (method, size), wait (up to --wait-max s) until the load average is "
        "below L (0: do not wait)",
    )
    ap.add_argument("--wait-max", type=float, default=1800.0)
    ap.add_argument(
        "--max-load",
        type=float,
        default=2.5,
        help="a (method, size) whose load average reached this before or after any of its "
        "three runs is reported but left out of the summary",
    )
    ap.add_argument(
        "--ceiling",
        type=int,
        default=0,
        metavar="R",
        help="instead: R rounds of the largest size's pairs in 1 process and in 2 independent "
        "processes (no mi_matrix): the speed-up the machine itself allows",
    )
    args = ap.parse_args()
    print(
        f"n = {args.n}, columns {args.sizes}, settings {SETTINGS}, cpus {os.cpu_count()}, "
        f"load average {os.getloadavg()}",
        flush=True,
    )
    if args.ceiling:
        ceiling(args)
        return
    client = cluster = None
    if not args.no_dask:
        from distributed import Client, LocalCluster

        (cluster, t_start, *_) = timed(
            lambda: LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
            )
        )
        client = Client(cluster)
        print(f"LocalCluster(2 workers) started in {t_start:.1f} s (not counted below)")
    runs = [("n_jobs=1", {"n_jobs": 1}), ("n_jobs=2", {"n_jobs": 2})]
    if client is not None:
        runs.append(("dask 2 workers", {"backend": "dask", "client": client}))
    rounds(args, runs)
    if client is not None:
        client.close()
        cluster.close()


def rounds(args, runs) -> None:
    rows, used = [], set()
    for r in range(args.rounds):
        for method in args.methods:
            kw = {"method": method, "seed": 0, "progress": False, **SETTINGS[method]}
            for p in args.sizes:
                if args.wait_below:
                    wait_for_quiet(args.wait_below, args.wait_max)
                df = columns(args.n, p)
                pairs = p * (p - 1) // 2
                ref, group = None, []
                for label, extra in runs:
                    m, secs, load, cpu = timed(
                        lambda df=df, kw=kw, extra=extra: bm.mi_matrix(df, **kw, **extra)
                    )
                    if ref is None:
                        ref = m
                    else:
                        np.testing.assert_array_equal(ref.data["mi"].values, m.data["mi"].values)
                    group.append(
                        {
                            "round": r,
                            "method": method,
                            "columns": p,
                            "pairs": pairs,
                            "run": label,
                            # The first call of a backend starts its workers or their imports.
                            "first": label not in used,
                            "seconds": round(secs, 2),
                            "ms_per_pair": round(1000 * secs / pairs, 1),
                            "cpu_s": round(cpu, 1),
                            "load_before": round(load, 2),
                            "load_after": round(os.getloadavg()[0], 2),
                        }
                    )
                    used.add(label)
                    print(group[-1], flush=True)
                peak = max(max(g["load_before"], g["load_after"]) for g in group)
                for g in group:
                    g["clean"] = peak < args.max_load
                rows += group
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    clean = table[table["clean"]]
    print(f"\nbelow load {args.max_load}: {clean['round'].nunique()} round(s) of some size")
    for (method, p), t in clean.groupby(["method", "columns"], sort=False):
        secs = t.pivot(index="round", columns="run", values="seconds")
        per_pair = (1000 * secs.median() / t["pairs"].iloc[0]).round(1).to_dict()
        line = f"{method}, {p} columns, {len(secs)} clean round(s): ms per pair {per_pair}"
        for label in secs.columns.drop("n_jobs=1"):
            ratio = secs["n_jobs=1"] / secs[label]
            line += (
                f"; {label} {', '.join(f'{v:.2f}' for v in ratio)} (median {ratio.median():.2f}x)"
            )
        print(line)


def _ceiling_worker(method, n, p, pairs, barrier, queue) -> None:
    import warnings

    warnings.simplefilter("ignore")
    df = columns(n, p)
    kw = {"method": method, "progress": False, **SETTINGS[method]}
    bm.estimate(df.iloc[:, 0], df.iloc[:, 1], seed=0, **kw)  # imports and first-call costs
    barrier.wait()
    t = time.perf_counter()
    for i, j in pairs:
        bm.estimate(df.iloc[:, i], df.iloc[:, j], seed=1000 * i + j, **kw)
    queue.put(time.perf_counter() - t)


def _split_run(method, n, p, n_procs) -> float:
    ctx = mp.get_context("spawn")
    barrier, queue = ctx.Barrier(n_procs + 1), ctx.Queue()
    pairs = [(i, j) for i in range(p) for j in range(i + 1, p)]
    procs = [
        ctx.Process(target=_ceiling_worker, args=(method, n, p, pairs[k::n_procs], barrier, queue))
        for k in range(n_procs)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    t = time.perf_counter()
    for _ in procs:
        queue.get()
    secs = time.perf_counter() - t
    for proc in procs:
        proc.join()
    return secs


def ceiling(args) -> None:
    p = max(args.sizes)
    for method in args.methods:
        ratios = []
        for r in range(args.ceiling):
            load = os.getloadavg()[0]
            one = _split_run(method, args.n, p, 1)
            two = _split_run(method, args.n, p, 2)
            ratios.append(one / two)
            print(
                json.dumps(
                    {
                        "method": method,
                        "round": r,
                        "pairs": p * (p - 1) // 2,
                        "one_process_s": round(one, 1),
                        "two_processes_s": round(two, 1),
                        "speed_up": round(one / two, 2),
                        "load": [round(load, 2), round(os.getloadavg()[0], 2)],
                    }
                ),
                flush=True,
            )
        print(f"{method}: 2 independent processes, median {np.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
