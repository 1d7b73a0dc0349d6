"""The ``bayesmi`` command line."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import bayesmi as bm
    from bayesmi import truth
    from bayesmi.plotting import plot_cv_curve, plot_mixture

    x, y, mi_true = truth.correlated_gaussian(args.rho, args.n, seed=args.data_seed)
    print(f"data: correlated Gaussian, rho = {args.rho}, n = {args.n} (seed {args.data_seed})")
    print(
        f"true I(X;Y) = -1/2 log(1 - rho^2) = {mi_true:.4f} nats = {mi_true / 0.6931472:.4f} bits"
    )
    r = bm.estimate(x, y, method="gmm", seed=args.seed, progress=not args.no_progress)
    print(f"estimate:   {r}")
    print(f"            {r.to('bits')}")
    lo, hi = r.hdi(0.9)
    print(f"the 90% HDI {'covers' if lo <= mi_true <= hi else 'does NOT cover'} the truth")
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    r.plot(ax=axes[0], ref_val=float(mi_true))
    plot_mixture(r, x, y, ax=axes[1])
    plot_cv_curve(r, ax=axes[2])
    fig.tight_layout()
    out = Path(args.out)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".png", dir=out.parent or ".")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=90)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    print(f"plot written to {out}")
    return 0


def _methods(args: argparse.Namespace) -> int:
    import bayesmi as bm

    table = bm.methods()
    for name, row in table.iterrows():
        print(f"{name:10s} {row['class']:10s} draws: {row['kind']}\n    {row['summary']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from bayesmi import __version__

    p = argparse.ArgumentParser(
        prog="bayesmi", description="Mutual information with honest error bars."
    )
    p.add_argument("--version", action="version", version=f"bayesmi {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="estimate MI on generated data of known MI; write a plot")
    d.add_argument("--rho", type=float, default=0.6, help="correlation (default 0.6)")
    d.add_argument("--n", type=int, default=2000, help="samples (default 2000)")
    d.add_argument("--seed", type=int, default=0, help="estimator seed (default 0)")
    d.add_argument("--data-seed", type=int, default=1234, help="data seed (default 1234)")
    d.add_argument("--out", default="bayesmi-demo.png", help="plot file (default bayesmi-demo.png)")
    d.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    d.set_defaults(func=_demo)
    m = sub.add_parser("methods", help="list the methods and where their draws come from")
    m.set_defaults(func=_methods)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "rho", 0.0) is not None and not -1 < getattr(args, "rho", 0.0) < 1:
        print("bayesmi demo: --rho must lie in (-1, 1)", file=sys.stderr)
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
