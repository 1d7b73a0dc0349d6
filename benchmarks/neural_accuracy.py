"""Accuracy of method="neural" on known truths: every objective on correlated Gaussians, and
the digits pairs (MI = class entropy) as the batch grows.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python benchmarks/neural_accuracy.py \
        [gauss] [digits] [digits-tuned] [digits-augment]

Prints mean, sd, 90% HDI and "MI >= a with probability 0.95" (nats), the truth, the seconds.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import torch

import bayesmi as bm
from bayesmi import truth


def digits_pairs(seed: int = 0):
    """Each 8x8 digit paired with a different random image of its class; the truth is the
    empirical class entropy (2.3024 nats), if an image identifies its class."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    partner = np.empty(len(labels), dtype=int)
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        partner[idx] = idx[(np.arange(len(idx)) + rng.integers(1, len(idx), len(idx))) % len(idx)]
    x = (images / 16.0).reshape(-1, 1, 8, 8)
    p = np.bincount(labels) / len(labels)
    return x, x[partner], float(-(p * np.log(p)).sum())


def row(name, r, truth_nats, seconds):
    lo, hi = r.hdi(0.9)
    bound = f"{r.at_least(0.95):7.3f}" if r.bound == "lower" else "   (no bound)"
    n_it = r.provenance.get("n_iterations")
    print(
        f"{name:38s} {r.mean:7.3f} {r.sd:6.3f} [{lo:6.3f}, {hi:6.3f}] {bound} "
        f"{truth_nats:7.3f} {seconds:7.1f} {n_it:6d}",
        flush=True,
    )


def header():
    print(
        f"{'case':38s} {'mean':>7s} {'sd':>6s} {'90% HDI':>16s} {'MI >= a':>7s} {'truth':>7s} "
        f"{'seconds':>7s} {'steps':>6s}  (nats)"
    )


def gauss():
    header()
    for rho, dim in ((0.8, 1), (0.5, 5)):
        x, y, mi = truth.correlated_gaussian(rho, 4000, dim=dim, seed=0)
        for obj in ("infonce", "nwj", "dv", "mine", "js", "smile"):
            t = time.perf_counter()
            r = bm.estimate(x, y, method="neural", objective=obj, seed=0, progress=False)
            row(f"rho {rho} dim {dim} n 4000 {obj}", r, mi, time.perf_counter() - t)


def digits():
    x, y, h = digits_pairs()
    header()
    for obj, batch in (("infonce", 32), ("infonce", 256), ("smile", 256)):
        t = time.perf_counter()
        r = bm.estimate(
            x,
            y,
            method="neural",
            objective=obj,
            y_encoder="shared",
            batch_size=batch,
            seed=0,
            progress=False,
        )
        row(f"digits {obj} B={batch}", r, h, time.perf_counter() - t)


def digits_tuned():
    """Two tries at the digits gap: longer patience, more weight decay, a wider encoder."""
    x, y, h = digits_pairs()
    header()
    for extra in (
        dict(lr=3e-3, patience=10),
        dict(lr=3e-3, patience=10, weight_decay=0.1, encoder_dim=32),
    ):
        t = time.perf_counter()
        r = bm.estimate(
            x,
            y,
            method="neural",
            y_encoder="shared",
            batch_size=128,
            seed=0,
            progress=False,
            **extra,
        )
        row(f"digits infonce B=128 {extra}", r, h, time.perf_counter() - t)


def digits_augment():
    """The digits pairs with training images shifted by up to one pixel (augment="shift")."""
    x, y, h = digits_pairs()
    header()
    for extra in (
        dict(augment="shift"),
        dict(augment="shift", patience=10, max_iterations=4000),
        dict(augment="shift", batch_size=256, max_iterations=3000),
        dict(augment="shift", objective="smile", max_iterations=3000),
    ):
        t = time.perf_counter()
        r = bm.estimate(x, y, method="neural", y_encoder="shared", seed=0, progress=False, **extra)
        row(f"digits {extra}", r, h, time.perf_counter() - t)


if __name__ == "__main__":
    torch.set_num_threads(1)
    warnings.simplefilter("default", bm.BayesMIWarning)
    what = sys.argv[1:] or ["gauss", "digits"]
    if "gauss" in what:
        gauss()
    if "digits" in what:
        digits()
    if "digits-tuned" in what:
        digits_tuned()
    if "digits-augment" in what:
        digits_augment()
