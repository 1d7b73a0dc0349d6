"""Cost of an ensemble of critics trained as one vectorised model, against one critic.

Side by side in one process, alternating, the same data and settings: ``train_critics`` with
1 member and with 10 members (a fixed number of steps, no early stopping), and the time 10
separate one-member runs would take (10 x one). Reports medians and the ratio 10 / 1.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/neural_ensemble.py --repeat 3

Options: --threads (torch threads, default 1), --steps, --device.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from bayesmi import truth
from bayesmi.estimators.neural import NeuralMI
from bayesmi.neural import ArraySource, make_splits, train_critics


def _digits():
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    partner = np.empty(len(labels), dtype=int)
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        partner[idx] = idx[(np.arange(len(idx)) + rng.integers(1, len(idx), len(idx))) % len(idx)]
    x = (images / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    return x, x[partner]


def cases():
    x5, y5, _ = truth.correlated_gaussian(0.5, 4000, dim=5, seed=0)
    xd, yd = _digits()
    return {
        "separable MLP (64,64), 5-D, B=128": (x5, y5, dict(critic="separable")),
        "joint MLP (64,64), 5-D, B=128, K=16": (x5, y5, dict(critic="joint")),
        "conv encoder (shared) + separable, digits 8x8, B=128": (
            xd,
            yd,
            dict(critic="separable", y_encoder="shared"),
        ),
    }


def time_one(x, y, params, n_members, steps, device):
    est = NeuralMI(progress=False, device=device, **params)
    xt = est._prepare(x.astype(np.float32), None, "x")
    yt = est._prepare(y.astype(np.float32), None, "y")
    critic = est._critic_factory(tuple(xt.shape[1:]), tuple(yt.shape[1:]))
    splits = make_splits(len(x), n_members, 0.2, 0.2, np.random.default_rng(0))
    source = ArraySource(xt, yt, torch.device(device))
    t = time.perf_counter()
    train_critics(
        critic,
        source,
        splits,
        objective="infonce",
        batch_size=128,
        n_negatives=est._negatives(),
        max_iterations=steps,
        eval_every=steps,
        patience=10**6,
        seed=0,
        device=device,
        progress=False,
    )
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), device {args.device}, "
        f"{args.steps} steps, median of {args.repeat}; load before: {os.getloadavg()}"
    )
    print(f"{'case':55s} {'1 critic s':>10s} {'10 critics s':>12s} {'10 / 1':>7s} {'10 x 1 s':>9s}")
    for name, (x, y, params) in cases().items():
        time_one(x, y, params, 1, 5, args.device)  # warm-up (imports, allocator)
        t1, t10 = [], []
        for _ in range(args.repeat):
            t1.append(time_one(x, y, params, 1, args.steps, args.device))
            t10.append(time_one(x, y, params, 10, args.steps, args.device))
        m1, m10 = statistics.median(t1), statistics.median(t10)
        print(f"{name:55s} {m1:10.2f} {m10:12.2f} {m10 / m1:6.2f}x {10 * m1:9.2f}")
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
