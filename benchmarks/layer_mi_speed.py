"""How long bm.layer_mi takes on a real network: a 4-layer MLP (64-32-16-12-10, ReLU) trained
on scikit-learn's digits (1,797 8x8 images, shipped with scikit-learn: no download).

1. ``once``: every leaf layer (4 Linear + 3 ReLU = 7 layers) against the labels, ksg with its
   layer_mi defaults (ksg's 200 subsample draws, PCA to 5 dimensions, Gaussian channel noise of
   variance 0.1), on the trained network. Target: <= 30 s on 2 cores.
2. ``track``: 10 epochs of training with a LayerTracker recording every leaf layer against the
   input and the labels after each epoch (the information plane). Target: <= 5 min on 2 cores.

    PYTHONPATH=. python benchmarks/layer_mi_speed.py                 # both, n_jobs=2
    PYTHONPATH=. python benchmarks/layer_mi_speed.py --n-jobs 1      # one core
    PYTHONPATH=. python benchmarks/layer_mi_speed.py --skip-track    # the single call only

Training (Adam, lr 1e-2, batches of 64) is timed apart from the measurement. torch uses one
thread (parallelism comes from the estimator's workers). Beside each wall time: the load average
before and after, and the CPU seconds of this process and its workers (half of them is the wall
time two free cores would take), since the machine may be shared.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import time
import warnings

import torch
from sklearn.datasets import load_digits

import bayesmi as bm
from benchmarks.mi_matrix_scaling import cpu_seconds


def mlp() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 32),
        torch.nn.ReLU(),
        torch.nn.Linear(32, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 12),
        torch.nn.ReLU(),
        torch.nn.Linear(12, 10),
    )


def train_epoch(net, x, y, opt, gen) -> float:
    net.train()
    order = torch.randperm(len(x), generator=gen)
    total = 0.0
    for start in range(0, len(x), 64):
        idx = order[start : start + 64]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
        total += float(loss) * len(idx)
    return total / len(x)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--skip-track", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # ksg's HighMIWarning on I(input; layer) is expected here
    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target)
    labels = digits.target

    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        loss = train_epoch(net, x, y, opt, gen)
    acc = float((net(x).argmax(1) == y).float().mean())
    print(f"trained {args.epochs} epochs in {time.perf_counter() - t0:.1f} s: loss {loss:.3f}, "
          f"train accuracy {acc:.3f}")  # fmt: skip

    load0, cpu0 = os.getloadavg()[0], cpu_seconds()
    t0 = time.perf_counter()
    r = bm.layer_mi(net, x, labels, method="ksg", seed=0, n_jobs=args.n_jobs)
    once = time.perf_counter() - t0
    cpu, load1 = cpu_seconds() - cpu0, os.getloadavg()[0]
    print(f"\nonce: 7 layers x labels, n_jobs={args.n_jobs}: {once:.1f} s wall, "
          f"{cpu:.1f} CPU s (load {load0:.1f} -> {load1:.1f})")  # fmt: skip
    print(r.to_dataframe()[["layer", "mean", "hdi_low", "hdi_high", "bound", "width", "dim"]])

    if args.skip_track:
        return
    net = mlp()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    tracker = bm.LayerTracker(
        x, {"input": "input", "labels": labels}, method="ksg", seed=0, n_jobs=args.n_jobs
    )
    load0, cpu0 = os.getloadavg()[0], cpu_seconds()
    measure, train = 0.0, 0.0
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        train_epoch(net, x, y, opt, gen)
        train += time.perf_counter() - t0
        t0 = time.perf_counter()
        tracker.record(net, epoch)
        measure += time.perf_counter() - t0
    cpu, load1 = cpu_seconds() - cpu0, os.getloadavg()[0]
    print(f"\ntrack: {args.epochs} epochs x 7 layers x 2 targets, n_jobs={args.n_jobs}: "
          f"{measure:.1f} s measuring + {train:.1f} s training, wall; "
          f"{cpu:.1f} CPU s in all (load {load0:.1f} -> {load1:.1f})")  # fmt: skip
    t = tracker.result.to_dataframe()
    print(t[t["epoch"] == t["epoch"].max()][["layer", "target", "mean", "hdi_low", "hdi_high"]])


if __name__ == "__main__":
    main()
