"""The ``bayesmi`` command line."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    import logging

    import matplotlib

    # ArviZ asks for a "semibold" font that DejaVu lacks; matplotlib's fallback is fine.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

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


def _params(pairs: list[str]) -> dict:
    """``--param key=value`` pairs; values read as Python literals where they parse."""
    import ast

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param must look like key=value, got {pair!r}.")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _columns(args: argparse.Namespace, with_z: bool):
    from bayesmi.tables import load_table, select_columns

    table = load_table(args.data)
    picked = {"x": select_columns(table, args.x, "x"), "y": select_columns(table, args.y, "y")}
    if with_z and args.z:
        picked["z"] = select_columns(table, args.z, "z")
    overlap = set(picked["x"]) & set(picked["y"])
    if overlap:
        raise ValueError(f"--x and --y share columns {sorted(overlap)}.")
    return {k: table[v] for k, v in picked.items()}, picked


def _print_result(result, args: argparse.Namespace, picked: dict) -> int:
    shown = result.to("bits") if args.bits else result
    print(shown)
    print(
        "  x: "
        + ", ".join(picked["x"])
        + " | y: "
        + ", ".join(picked["y"])
        + (" | z: " + ", ".join(picked["z"]) if "z" in picked else "")
    )
    if args.out:
        result.save(args.out)
        print(f"  saved to {args.out}")
    return 0


def _estimate(args: argparse.Namespace) -> int:
    """``bayesmi estimate`` (MI or conditional MI) and ``bayesmi kl``."""
    import bayesmi as bm

    data, picked = _columns(args, with_z=args.command == "estimate")
    common = {
        "method": args.method,
        "seed": args.seed,
        "n_jobs": args.n_jobs,
        "progress": not args.no_progress,
        **_params(args.param),
    }
    if args.command == "kl":
        result = bm.kl_marginals(data["x"], data["y"], **common)
    else:
        result = bm.estimate(data["x"], data["y"], data.get("z"), **common)
    return _print_result(result, args, picked)


def _report_cmd(args: argparse.Namespace) -> int:
    import bayesmi as bm

    results = {Path(p).stem.replace(".", "_"): bm.load(p) for p in args.results}
    call = "bayesmi report " + " ".join(args.results) + f" -o {args.output}"
    written = bm.report(results, args.output, title=args.title, call=call)
    for kind, path in written.items():
        print(f"{kind:>12}: {path}")
    return 0


def _data_arguments(p: argparse.ArgumentParser, with_z: bool) -> None:
    p.add_argument("data", help="a .csv, .tsv, .parquet, .npy or .npz file")
    p.add_argument(
        "--x",
        required=True,
        help="columns of x: names, comma-separated, or patterns such as 'f1_*'",
    )
    p.add_argument("--y", required=True, help="columns of y, as for --x")
    if with_z:
        p.add_argument("--z", help="columns to condition on (conditional MI)")
    p.add_argument("--method", default="gmm", help="a method from 'bayesmi methods' (default gmm)")
    p.add_argument("--seed", type=int, default=None, help="seed: the same seed, the same draws")
    p.add_argument("--n-jobs", type=int, default=1, help="parallel workers (default 1)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a method hyperparameter, e.g. --param n_bootstrap=200 (repeatable)",
    )
    p.add_argument("--out", help="save the result here (netCDF, written atomically)")
    p.add_argument("--bits", action="store_true", help="show bits instead of nats")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


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
    e = sub.add_parser("estimate", help="MI (or conditional MI) between columns of a data file")
    _data_arguments(e, with_z=True)
    e.set_defaults(func=_estimate)
    k = sub.add_parser("kl", help="KL divergence between the distributions of two column groups")
    _data_arguments(k, with_z=False)
    k.set_defaults(func=_estimate)
    r = sub.add_parser("report", help="an HTML report (and companions) of saved results")
    r.add_argument("results", nargs="+", help="result files written by --out or r.save()")
    r.add_argument(
        "-o",
        "--output",
        default="report.html",
        help="the HTML file (default report.html); companions go beside it",
    )
    r.add_argument("--title", default="bayesmi report")
    r.set_defaults(func=_report_cmd)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo" and not -1 < args.rho < 1:
        print("bayesmi demo: --rho must lie in (-1, 1)", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (ValueError, TypeError, FileNotFoundError, ImportError) as err:
        print(f"bayesmi {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
