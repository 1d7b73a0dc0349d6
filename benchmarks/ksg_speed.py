"""bayesmi ksg's speed: the estimate a user gets (with its draws) and the k-NN engine under it,
against scikit-learn's ``mutual_info_regression`` and the BMI benchmark's KSG, side by side.

Parts (pick any; all run in one process, one after the other, on the same data):

``--full``
    1-D pair (correlated Gaussian, rho 0.6), n = 10^5: ``bm.estimate(x, y, method="ksg",
    seed=0)`` with its default draws against scikit-learn's point value, and where the
    estimate's time goes: the engine's time per pass on the full data, how many passes of each
    kind (full data at k and 2k, subsample parts, permutations) and what is left outside the
    engine.
``--core``
    One full-data KSG pass (bayesmi's engine) against ``mutual_info_regression`` at n = 10^4,
    10^5, 10^6 (the same comparison as ``ksg_vs_sklearn.py``, median instead of best).
``--dims``
    Gaussian blocks 2+2, 3+3 and 25+25 dimensions at n = 5000: the full estimate with its
    draws, one engine pass, and the BMI benchmark's KSG (benchmark-mi 0.1.3,
    ``KSGEnsembleFirstEstimator``: Euclidean, mean over k = 5 and 10, point value only) in its
    own environment (``bash benchmarks/setup_bmi_env.sh``), run as a subprocess with one XLA
    thread (as ``validation/bmi_batch.py`` runs it); each data set is estimated twice in one
    process, and both times are shown (the first includes JAX's compilation).
``--counts``
    The marginal counting engines on the radii of KSG algorithm 1 (k = 3): cKDTree's
    ``query_ball_point(return_length=True)`` (lists every point it counts), scikit-learn's
    ``KDTree.query_radius(count_only=True)`` (what ``knn.MarginalCounter`` uses from 2-D), and a
    blocked brute-force count in numpy: the measurement behind ``knn.TREE_MIN_DIM``.
``--brute``
    One full-data pass of KSG algorithm 1 at k = 3 and 6 (the estimator's k and 2k) by the tree
    search against the brute-force path (``knn._brute_terms``: the joint search and the counts
    from the same blocks of distances) over n and the joint dimension, with a check that the
    terms agree to the last bit: the measurement behind ``knn.BRUTE_RULE``.

Every time is the median of ``--repeat`` runs, in CPU seconds of the process by default
(``--clock cpu``: everything here runs on one thread, so on a shared machine the CPU time is the
wall time a quiet machine would give; ``--clock wall`` for wall seconds), with the load average
printed beside it. Usage::

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python \\
        benchmarks/ksg_speed.py --full --core --dims --counts --brute [--repeat 3] [--n-jobs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import ClassVar

import numpy as np
from scipy.spatial import cKDTree
from sklearn.feature_selection import mutual_info_regression
from sklearn.neighbors import KDTree

import bayesmi as bm
from bayesmi import knn, truth
from bayesmi.estimators import ksg

HERE = Path(__file__).resolve().parent
BMI_PYTHON = Path(os.environ.get("BMI_ENV", "/work/bench-envs/bmi")) / "bin" / "python"


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


#: The clock of every figure: time.process_time (CPU seconds of this process) or perf_counter.
CLOCK = {"cpu": time.process_time, "wall": time.perf_counter}
clock = time.process_time


def median_time(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = clock()
        out = fn()
        times.append(clock() - t)
    return float(np.median(times)), out


class EngineClock:
    """Times every call of ksg's per-sample terms (the engine), by kind of pass, while an
    estimate runs in this process (n_jobs=1): the full data (k and 2k in one call), the
    subsample parts of the draws, the permutation null (shuffled parts of the data, or
    shuffles of the full data below 500 samples)."""

    PHASES: ClassVar[dict[str, str]] = {
        "_partition": "subsample",
        "_null_partition": "perm",
        "_permuted": "perm",
    }

    def __init__(self, n: int) -> None:
        self.n = n
        self.inner = {name: getattr(ksg, name) for name in ("_terms_ks", *self.PHASES)}
        self.phase = "full"
        self.calls: list[tuple[str, float]] = []

    def __enter__(self):
        def timed(*args, **kwargs):
            t = clock()
            out = self.inner["_terms_ks"](*args, **kwargs)
            self.calls.append((self.phase, clock() - t))
            return out

        def in_phase(name):
            def run(*args, **kwargs):
                self.phase = self.PHASES[name]
                try:
                    return self.inner[name](*args, **kwargs)
                finally:
                    self.phase = "full"

            return run

        ksg._terms_ks = timed
        for name in self.PHASES:
            setattr(ksg, name, in_phase(name))
        return self

    def __exit__(self, *exc):
        for name, fn in self.inner.items():
            setattr(ksg, name, fn)

    def table(self) -> dict[str, tuple[int, float]]:
        """Calls and seconds by kind: full, subsample, perm."""
        out: dict[str, tuple[int, float]] = {}
        for kind, sec in self.calls:
            c, s = out.get(kind, (0, 0.0))
            out[kind] = (c + 1, s + sec)
        return out


def ours_core(x, y, workers=1, k=3):
    rng = np.random.default_rng(0)
    xs, ys = knn.prepare(x, rng, 1e-10), knn.prepare(y, rng, 1e-10)
    return float(knn.ksg_mi_pointwise(xs, ys, k, 1, workers).mean())


def full_estimate(x, y, n_jobs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bm.estimate(x, y, method="ksg", seed=0, progress=False, n_jobs=n_jobs)


def timed_estimates(x, y, n_jobs, repeat):
    """The full estimate ``repeat`` times: (its times, the last result, that run's engine calls)."""
    times = []
    for _ in range(repeat):
        engine = EngineClock(len(x))
        with engine:
            t = clock()
            r = full_estimate(x, y, n_jobs)
            times.append(clock() - t)
    return times, r, engine


def part_full(args):
    n = 100_000
    x, y, _ = truth.correlated_gaussian(0.6, n, seed=1)
    print(
        f"\n== full estimate, 1-D pair, rho 0.6 (truth 0.2231 nats), n = {n}, n_jobs {args.n_jobs}"
    )
    t_sk, v_sk = median_time(
        lambda: mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0], args.repeat
    )
    print(f"scikit-learn mutual_info_regression (point value): {t_sk:8.2f} s  {v_sk:.4f}  {load()}")
    t_pass, v_pass = median_time(lambda: ours_core(x, y), args.repeat)
    print(
        f"bayesmi one engine pass (full data, k = 3):         {t_pass:8.2f} s  {v_pass:.4f}  "
        f"{load()}"
    )
    times, r, engine = timed_estimates(x, y, args.n_jobs, args.repeat)
    t_full = float(np.median(times))
    print(
        f"bayesmi estimate, default draws ({r.draws_nats.shape[1]} draws, "
        f"{len(r.extras.get('null_draws_nats', []))} null draws): {t_full:8.2f} s  "
        f"mean {r.mean:.4f} sd {r.sd:.4f}  {load()}  (runs: {', '.join(f'{s:.1f}' for s in times)})"
    )
    print(f"speed against scikit-learn's point value: {t_sk / t_full:.3f}x")
    if args.n_jobs == 1:
        engine_table(engine, times[-1], t_pass)


def engine_table(calls: EngineClock, total, t_pass):
    tab = calls.table()
    engine = sum(s for _, s in tab.values())
    print(f"where the last run's {total:.1f} s went (engine = ksg's per-sample terms):")
    for kind, (c, s) in tab.items():
        print(f"  {kind:>9}: {c:4d} calls {s:8.2f} s  = {s / t_pass:6.1f} full passes")
    print(
        f"  engine {engine:.1f} s ({engine / total:.0%} of the estimate) = "
        f"{engine / t_pass:.1f} full-pass equivalents; outside the engine {total - engine:.1f} s"
    )


def part_core(args):
    print(f"\n== one engine pass against scikit-learn, 1-D pairs, rho 0.6; median of {args.repeat}")
    print(
        f"{'n':>9} {'bayesmi s':>10} {'sklearn s':>10} {'speed-up':>8} {'bayesmi':>8} "
        f"{'sklearn':>8}"
    )
    for n in args.sizes:
        x, y, _ = truth.correlated_gaussian(0.6, n, seed=1)
        repeat = 1 if n >= 1_000_000 else args.repeat
        t_ours, v_ours = median_time(lambda x=x, y=y: ours_core(x, y, args.workers), repeat)
        t_sk, v_sk = median_time(
            lambda x=x, y=y: mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0],
            repeat,
        )
        print(
            f"{n:>9} {t_ours:10.3f} {t_sk:10.3f} {t_sk / t_ours:7.1f}x {v_ours:8.4f} {v_sk:8.4f}"
            f"  {load()}"
        )


BMI_RUNNER = r"""
import json, sys, time
import numpy as np
from bmi.estimators import KSGEnsembleFirstEstimator
out = []
with np.load(sys.argv[1]) as d:
    for i in range(int(d["count"])):
        row = []
        for _ in range(2):
            w, c = time.perf_counter(), time.process_time()
            v = float(KSGEnsembleFirstEstimator().estimate(d[f"x_{i}"], d[f"y_{i}"]))
            row.append([v, time.perf_counter() - w, time.process_time() - c])
        out.append(row)
print(json.dumps(out))
"""


def bmi_times(cases) -> list[list[list[float]]] | None:
    """For each (x, y): two runs of the BMI benchmark's KSG in one fresh process, each
    [estimate, wall s, CPU s] (the first includes JAX's compilation)."""
    if not BMI_PYTHON.exists():
        print(f"(BMI benchmark env not found at {BMI_PYTHON}: bash benchmarks/setup_bmi_env.sh)")
        return None
    # One XLA thread and the CPU, as validation/bmi_batch.py runs it.
    env = dict(os.environ, XLA_FLAGS="--xla_cpu_multi_thread_eigen=false", JAX_PLATFORMS="cpu")
    env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory() as tmp:
        arrays: dict[str, np.ndarray] = {"count": np.array(len(cases))}
        for i, (x, y) in enumerate(cases):
            arrays |= {f"x_{i}": x, f"y_{i}": y}
        np.savez(Path(tmp) / "in.npz", **arrays)
        out = subprocess.run(
            [str(BMI_PYTHON), "-c", BMI_RUNNER, "in.npz"],
            cwd=tmp,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_dims(args):
    n = 5000
    print(f"\n== Gaussian blocks, rho 0.6 per pair, n = {n}; n_jobs {args.n_jobs}")
    cases = []
    for dim in args.dims:
        x, y, mi = truth.correlated_gaussian(0.6, n, dim=dim, seed=1)
        cases.append((dim, x, y, mi))
    peer = bmi_times([(x, y) for _, x, y, _ in cases]) if not args.no_bmi else None
    for i, (dim, x, y, mi) in enumerate(cases):
        t_pass, v_pass = median_time(lambda x=x, y=y: ours_core(x, y), args.repeat)
        line = (
            f"{dim}+{dim}-D truth {mi:.3f}: bayesmi one pass {t_pass:.2f} s ({v_pass:.3f}, "
            f"{load()})"
        )
        if peer:
            (est, w1, c1), (_, w2, c2) = peer[i]
            line += (
                f"; BMI KSG first {c1:.2f} s CPU ({w1:.2f} s wall), again {c2:.2f} s CPU "
                f"({w2:.2f} s wall) ({est:.3f})"
            )
        print(line, flush=True)
        if dim in args.full_dims:
            times, r, engine = timed_estimates(x, y, args.n_jobs, args.full_repeat)
            t_full = float(np.median(times))
            msg = (
                f"  bayesmi estimate with default draws: {t_full:.1f} s (mean {r.mean:.3f}, "
                f"{load()})"
            )
            if peer:
                msg += f" = {t_full / peer[i][1][2]:.1f}x the BMI KSG's second run (CPU)"
            print(msg, flush=True)
            if args.n_jobs == 1:
                engine_table(engine, times[-1], t_pass)


def brute_count(p, r):
    """Blocked brute-force count, float64 (exact), max-norm, |p_j - p_i| <= r_i."""
    n, d = p.shape
    rows = max(8, min(n, 2**17 // n))
    out = np.empty(n, dtype=np.int64)
    dist, tmp = np.empty((rows, n)), np.empty((rows, n))
    for s in range(0, n, rows):
        e = min(n, s + rows)
        dv, tv = dist[: e - s], tmp[: e - s]
        np.abs(np.subtract(p[s:e, 0:1], p[:, 0], out=dv), out=dv)
        for j in range(1, d):
            np.abs(np.subtract(p[s:e, j : j + 1], p[:, j], out=tv), out=tv)
            np.maximum(dv, tv, out=dv)
        out[s:e] = np.count_nonzero(dv <= r[s:e, None], axis=1)
    return out


def part_counts(args):
    print("\n== counting in a marginal space (radii of KSG algorithm 1, k = 3), seconds, median")
    print(f"{'d':>4} {'n':>7} {'cKDTree':>8} {'KDTree':>8} {'brute':>8} {'same':>5}")
    for dim, n in [(2, 5000), (3, 5000), (6, 5000), (25, 5000), (50, 1000), (3, 100_000)]:
        x, y, _ = truth.correlated_gaussian(0.5, n, dim=dim, seed=1)
        rng = np.random.default_rng(1)
        xs, ys = knn.prepare(x, rng, 1e-10), knn.prepare(y, rng, 1e-10)
        joint = np.hstack([xs, ys])
        eps = np.nextafter(cKDTree(joint).query(joint, k=4, p=np.inf)[0][:, -1], 0)
        rep = 1 if dim >= 25 or n > 10_000 else args.repeat

        def listed(xs=xs, eps=eps):
            return cKDTree(xs).query_ball_point(xs, eps, p=np.inf, return_length=True)

        def count_only(xs=xs, eps=eps):
            return KDTree(xs, metric="chebyshev").query_radius(xs, eps, count_only=True)

        t_c, a = median_time(listed, rep)
        t_k, b = median_time(count_only, rep)
        t_b, c = (
            median_time(lambda xs=xs, eps=eps: brute_count(xs, eps), rep)
            if n <= 5000
            else (np.nan, b)
        )
        same = np.array_equal(a, b) and np.array_equal(a, c)
        print(f"{dim:>4} {n:>7} {t_c:8.3f} {t_k:8.3f} {t_b:8.3f} {same!s:>5}  {load()}", flush=True)


def part_brute(args):
    print("\n== one KSG pass (algorithm 1, k = 3 and 6): trees against brute force, seconds")
    print(f"{'n':>6} {'dims':>6} {'trees':>8} {'brute':>8} {'ratio':>6} {'same':>5}")
    for n, dim in [(250, 1), (250, 3), (250, 25), (1000, 3), (1000, 6), (1000, 25), (5000, 3),
                   (5000, 6), (5000, 10), (5000, 25), (20_000, 6), (20_000, 10)]:  # fmt: skip
        x, y, _ = truth.correlated_gaussian(0.5, n, dim=dim, seed=1)
        rng = np.random.default_rng(1)
        xs, ys = knn.prepare(x, rng, 1e-10), knn.prepare(y, rng, 1e-10)
        rep = max(1, min(args.repeat, 20_000 // n))
        saved = knn.BRUTE_RULE

        def one_pass(xs=xs, ys=ys):
            return knn.ksg_mi_pointwise_ks(xs, ys, (3, 6))

        try:
            knn.BRUTE_RULE = ()
            t_tree, a = median_time(one_pass, rep)
            knn.BRUTE_RULE = ((10**9, 1),)
            t_brute, b = median_time(one_pass, rep)
        finally:
            knn.BRUTE_RULE = saved
        same = all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
        print(f"{n:>6} {dim:>3}+{dim:<2} {t_tree:8.4f} {t_brute:8.4f} {t_tree / t_brute:6.2f} "
              f"{same!s:>5}  {load()}", flush=True)  # fmt: skip


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true")
    p.add_argument("--core", action="store_true")
    p.add_argument("--dims", dest="dims_part", action="store_true")
    p.add_argument("--counts", action="store_true")
    p.add_argument("--brute", action="store_true")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--full-repeat", type=int, default=1, help="runs of the --dims full estimates")
    p.add_argument("--n-jobs", type=int, default=1)
    p.add_argument("--workers", type=int, default=1, help="threads of the --core pass")
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--dim-list", dest="dims", type=int, nargs="+", default=[2, 3, 25])
    p.add_argument(
        "--full-dims", type=int, nargs="*", default=[2, 3, 25], help="--dims with full estimates"
    )
    p.add_argument("--no-bmi", action="store_true")
    p.add_argument("--clock", choices=list(CLOCK), default="cpu")
    args = p.parse_args(argv)
    global clock
    clock = CLOCK[args.clock]
    print(f"clock: {args.clock} seconds")
    print(
        f"bayesmi {bm.__version__} from {Path(bm.__file__).parent}; python {sys.version.split()[0]}"
    )
    if args.counts:
        part_counts(args)
    if args.brute:
        part_brute(args)
    if args.core:
        part_core(args)
    if args.full:
        part_full(args)
    if args.dims_part:
        part_dims(args)


if __name__ == "__main__":
    main()
