#!/usr/bin/env python3
"""Run the peer library latentmi on one (x, y) data set and write JSON.

Executed by the interpreter of latentmi's own venv (default ``.peer-envs/latentmi``,
made by ``validation/setup_latentmi_env.sh``), never imported by bayesmi. latentmi is MIT
licensed; it is only run here, none of its code is copied.

Usage::

    $LATENTMI_ENV/bin/python benchmarks/latentmi_runner.py IN.npz OUT.json [--seed 0]
        [--epochs 300]

IN.npz holds 2-D arrays ``x`` and ``y`` with one row per sample. The estimate is latentmi
0.1's documented call ``pmis, embedding, model = lmi.estimate(Xs, Ys)`` with its defaults
(latent size 8, half the samples held out, Adam lr 1e-4, batch 512, up to 300 epochs, patience
30) and ``np.nanmean(pmis)`` as the estimate, in bits (latentmi's unit). ``seconds`` is the wall
time of that call and ``cpu_seconds`` its CPU time; torch runs on one thread on the CPU.
"""

import argparse
import contextlib
import io
import json
import time


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=300)
    args = p.parse_args(argv)

    import importlib.metadata as md

    import numpy as np
    import torch
    from latentmi import lmi

    torch.set_num_threads(1)
    np.random.seed(args.seed)  # noqa: NPY002 - latentmi draws its split from numpy's global generator
    torch.manual_seed(args.seed)  # and its weights from torch's
    data = np.load(args.input)
    x, y = data["x"], data["y"]
    t, cpu = time.perf_counter(), time.process_time()
    # latentmi prints one progress line per epoch even when quiet: keep it out of the log.
    with contextlib.redirect_stdout(io.StringIO()):
        pmis, _, _ = lmi.estimate(x, y, epochs=args.epochs, device="cpu")
    seconds = time.perf_counter() - t
    cpu_seconds = time.process_time() - cpu
    out = {
        "mi_bits": float(np.nanmean(pmis)),
        "n_held_out": int(np.sum(~np.isnan(pmis))),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "seed": args.seed,
        "epochs": args.epochs,
        "versions": {k: md.version(k) for k in ("latentmi", "torch", "numpy")},
    }
    with open(args.output, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
