"""MI through a network: every layer of a torch model against the input, the labels or any
parameters, with draws, once or over training.

:func:`layer_mi` runs the data through the model once (forward hooks under ``torch.no_grad()``,
batch by batch, activations flattened per sample and moved to the CPU as they arrive), reduces
each layer to at most ``max_dim`` dimensions, and estimates I(layer; target) for every layer and
target with one registered method. :class:`LayerTracker` does the same once per epoch and
appends to one result. torch is imported only inside the functions that need it.

Paired differences. Every (layer, target) estimate uses the same ``seed`` on the same number of
samples, so for the methods whose class sets ``aligned_draws`` draw i of every layer comes from
the same resample of the rows:

- ``ksg``: ``spawn_seeds(seed, 3)``; draw i comes from part j of the split
  ``np.random.default_rng(s).permutation(n)`` with ``s`` the split's child seed, a function of
  (seed, n) only;
- ``gmm`` and ``bins``: ``spawn_seeds(seed, n_draws + 1)`` (``bins``: ``spawn_seeds(seed,
  2)`` then ``n_draws`` children); draw i's bootstrap counts are the first thing drawn
  from ``np.random.default_rng(child i)``, again a function of (seed, n) only.

So ``draws[b, i] - draws[a, i]`` is the difference on one resample, and its spread is the
sampling spread of the difference (positively correlated layers give a narrower interval than
two independent intervals would suggest). ``tests/test_layers.py`` checks the alignment.
Methods whose draws are not indexed by resamples (``bayes_gmm``: posterior draws; ``neural``,
``latent``: ensembles) refuse :meth:`LayerMI.diff`.

Noise. The MI between the input and a deterministic, continuous function of it is infinite (or,
for a finite data set, a statement about the data set rather than the network). Following Saxe
et al. (2018), who follow Kolchinsky & Tracey (2017), each activation is measured through a
Gaussian channel: T + Z with Z ~ N(0, ``noise_var`` I), ``noise_var = 0.1`` in the layer's own
units by default, added at measurement only (the network itself runs unchanged). Goldfeld et al.
(2019) make the same choice but inject the noise inside the network during training too.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from bayesmi.estimators.base import REGISTRY, check_method_params
from bayesmi.matrix.labelled import LabelledDraws, label_view
from bayesmi.resampling import run_parallel
from bayesmi.result import QUANTITIES, MIResult, convert_units, hdi
from bayesmi.validation import check_labels, check_nonnegative, check_positive_int, to_numpy

__all__ = ["DEFAULT_NOISE_VAR", "LayerMI", "LayerTracker", "layer_mi"]

_CALLER = "layer_mi"
#: Variance of the Gaussian noise added to each activation at measurement (Saxe et al. 2018).
DEFAULT_NOISE_VAR = 0.1
#: Parameters layer_mi sets itself for each estimate.
_OWN = ("seed", "n_jobs", "progress", "backend", "categorical", "discrete_y")
#: Defaults layer_mi changes for every method that has the parameter: the permutation null is
#: not used here and costs as much as the draws (pass n_permutations to have it).
_DEFAULTS = {"n_permutations": 0}
#: The most units ``per_unit=True`` measures in one call (one estimate per unit and target).
MAX_UNITS = 1024
#: At most this many distinct values make an integer target categorical when
#: ``categorical=None``.
MAX_CLASSES = 100


# -- data ----------------------------------------------------------------------------------------
def _is_loader(data) -> bool:
    from torch.utils.data import DataLoader

    return isinstance(data, DataLoader)


def _is_dataset(data) -> bool:
    from torch.utils.data import Dataset

    return isinstance(data, Dataset)


def _batches(data, batch_size: int):
    """Batches of the data, in order: a tensor or array is sliced, a Dataset goes through a
    DataLoader with ``shuffle=False``, a DataLoader is iterated as it is."""
    import torch
    from torch.utils.data import DataLoader

    if _is_loader(data):
        yield from data
        return
    if _is_dataset(data):
        yield from DataLoader(data, batch_size=batch_size, shuffle=False)
        return
    arr = (
        data if isinstance(data, torch.Tensor) else torch.as_tensor(to_numpy(data, "data", _CALLER))
    )
    for start in range(0, len(arr), batch_size):
        yield arr[start : start + batch_size]


def _item(batch, key, what: str, batch_index: int):
    """The part of a batch named by ``key`` (a position of a tuple/list batch, a key of a dict
    batch); a plain tensor batch is the input itself."""
    import torch

    if isinstance(batch, torch.Tensor):
        if what == "input":
            return batch
        raise ValueError(
            f"{_CALLER}: target key {key!r} was given but the batches are plain tensors (no "
            "items to look the key up in). Pass the target as an array instead."
        )
    try:
        return batch[key]
    except (KeyError, IndexError, TypeError) as err:
        keys = list(batch.keys()) if isinstance(batch, Mapping) else list(range(len(batch)))
        arg = "input_key" if what == "input" else "target"
        raise ValueError(
            f"{_CALLER}: {arg} {key!r} is not in the items of batch {batch_index}; their keys "
            f"are {keys}."
        ) from err


def _flat(t, name: str, n_rows: int, batch_index: int) -> np.ndarray:
    """A batch of outputs as float32 rows (n_rows, features), on the CPU."""
    import torch

    if isinstance(t, tuple | list) and t and isinstance(t[0], torch.Tensor):
        t = t[0]  # modules such as nn.LSTM return (output, state): the output is measured
    if not isinstance(t, torch.Tensor):
        raise TypeError(
            f"{_CALLER}: layer {name!r} returned a {type(t).__name__}, not a tensor; choose "
            "layers that return tensors (layers=...)."
        )
    if t.dim() == 0 or t.shape[0] != n_rows:
        raise ValueError(
            f"{_CALLER}: layer {name!r} returned shape {tuple(t.shape)} for batch {batch_index} "
            f"of {n_rows} samples; a layer must keep the batch as its first dimension."
        )
    return t.detach().reshape(n_rows, -1).to("cpu", torch.float32).numpy()


def _select_layers(model, layers) -> dict[str, Any]:
    """Name -> module: the leaf modules (layers=None), or those named or of the types given."""
    import torch

    named = {name: m for name, m in model.named_modules() if name}
    if layers is None:
        out = {n: m for n, m in named.items() if not list(m.children())}
        if not out:
            raise ValueError(f"{_CALLER}: the model has no submodules; name layers to measure.")
        return out
    if isinstance(layers, str | type):
        layers = [layers]
    out: dict[str, Any] = {}
    for spec in layers:
        if isinstance(spec, type) and issubclass(spec, torch.nn.Module):
            hits = {n: m for n, m in named.items() if isinstance(m, spec)}
            if not hits:
                raise ValueError(
                    f"{_CALLER}: layers: the model has no module of type {spec.__name__}."
                )
            out.update(hits)
        elif isinstance(spec, str):
            if spec not in named:
                raise ValueError(
                    f"{_CALLER}: layers: {spec!r} is not a module of the model; the available "
                    f"names are {list(named)}."
                )
            out[spec] = named[spec]
        else:
            raise TypeError(
                f"{_CALLER}: layers must be None, module names or torch.nn.Module types, got "
                f"{spec!r}."
            )
    return out


def _target_specs(target) -> dict[str, Any]:
    """Target name -> spec ("input", a batch key, or an array)."""
    if isinstance(target, Mapping):
        if not target:
            raise ValueError(f"{_CALLER}: target is an empty dict; give at least one target.")
        return {str(k): v for k, v in target.items()}
    if isinstance(target, str):
        return {target: target}
    if isinstance(target, int) and not isinstance(target, bool):
        return {f"item{target}": target}
    return {"target": target}


def _is_input(spec) -> bool:
    return isinstance(spec, str) and spec == "input"


class _HookError(Exception):
    """An error of layer_mi's own hook (args[0]), passed through the model's forward."""


@dataclass
class _Gathered:
    activations: dict[str, np.ndarray]  # layer -> (n, width) float32
    targets: dict[str, np.ndarray]  # target -> (n,) or (n, d)
    n: int


def _gather(model, data, layers, specs, *, input_key, batch_size) -> _Gathered:
    """One pass over the data with forward hooks; every hook and mode is undone afterwards."""
    import torch

    if _is_loader(data) and any(not isinstance(s, str | int) for s in specs.values()):
        from torch.utils.data import RandomSampler

        if isinstance(getattr(data, "sampler", None), RandomSampler):
            raise ValueError(
                f"{_CALLER}: data is a DataLoader with shuffle=True and a target was given as an "
                "array: its rows would not follow the shuffled samples. Use shuffle=False, or "
                "give the target as a key of the dataset's items."
            )
    modes = {m: m.training for m in model.modules()}
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    keyed: dict[str, list[np.ndarray]] = {
        t: [] for t, s in specs.items() if isinstance(s, str | int)
    }
    running: list[str] = []  # the modules entered and not yet left: the innermost is last
    names = {m: n for n, m in model.named_modules()}
    state = {"batch": 0, "rows": 0, "start": 0, "seen": set()}
    handles = []

    def enter(module, args):
        running.append(names.get(module, type(module).__name__))

    def leave(module, args, output):
        if running:
            running.pop()

    def record(name):
        def hook(module, args, output):
            try:
                if name in state["seen"]:
                    raise ValueError(
                        f"{_CALLER}: layer {name!r} ran more than once in one forward pass (a "
                        "module used twice); its activation is ambiguous. Wrap each use in its "
                        "own module."
                    )
                state["seen"].add(name)
                chunks[name].append(_flat(output, name, state["rows"], state["batch"]))
            except (TypeError, ValueError) as err:
                raise _HookError(err) from None  # ours, not the model's: raised as it is

        return hook

    try:
        for m in model.modules():
            handles.append(m.register_forward_pre_hook(enter))
            handles.append(m.register_forward_hook(leave))
        for name, m in layers.items():
            handles.append(m.register_forward_hook(record(name)))
        model.eval()
        params = list(model.parameters())
        device = params[0].device if params else torch.device("cpu")
        dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float32
        with torch.no_grad():
            for b, batch in enumerate(_batches(data, batch_size)):
                x = _item(batch, input_key, "input", b)
                x = torch.as_tensor(x)
                if x.is_floating_point() or not params:
                    x = x.to(device=device, dtype=dtype)
                else:
                    x = x.to(device=device)
                state.update(batch=b, rows=len(x), seen=set())
                for t in keyed:
                    spec = specs[t]
                    if _is_input(spec):
                        keyed[t].append(x.reshape(len(x), -1).to("cpu", torch.float32).numpy())
                    else:
                        keyed[t].append(to_numpy(_item(batch, spec, t, b), "target", _CALLER))
                running.clear()
                try:
                    model(x)
                except _HookError as err:
                    raise err.args[0] from None
                except Exception as err:
                    where = running[-1] if running and running[-1] else type(model).__name__
                    start = state["start"]
                    raise RuntimeError(
                        f"{_CALLER}: the model raised in layer {where!r} on batch {b} (samples "
                        f"{start} to {start + len(x) - 1}): "
                        f"{type(err).__name__}: {err}"
                    ) from err
                state["start"] += len(x)
                missing = [n for n in layers if n not in state["seen"]]
                if missing:
                    raise ValueError(
                        f"{_CALLER}: layers {missing} did not run in the forward pass of batch "
                        f"{b}; measure modules that the model's forward calls."
                    )
    finally:
        for h in handles:
            h.remove()
        for m, training in modes.items():
            m.train(training)
    if state["start"] == 0:
        raise ValueError(f"{_CALLER}: data has no samples; pass at least one batch.")
    acts = {n: np.concatenate(c) for n, c in chunks.items()}
    n = state["start"]
    targets = {}
    for t, spec in specs.items():
        if t in keyed:
            targets[t] = np.concatenate(keyed[t])
        else:
            arr = to_numpy(spec, f"target[{t!r}]" if t != "target" else "target", _CALLER)
            if len(arr) != n:
                raise ValueError(
                    f"{_CALLER}: target {t!r} has {len(arr)} rows but the data have {n} samples; "
                    "pass one target row per sample, in the order of the data."
                )
            targets[t] = arr
    return _Gathered(acts, targets, n)


# -- reduction -----------------------------------------------------------------------------------
def _reduce(a: np.ndarray, max_dim: int, noise_var: float, rng_seed) -> tuple[np.ndarray, bool]:
    """The variable as estimated: noise added (Gaussian, variance ``noise_var``), constant
    columns dropped (they carry no information), then PCA to ``max_dim`` components when wider.

    Returns the (n, d) float64 array (d may be 0) and whether information may have been lost
    (PCA kept fewer directions than the rank).
    """
    a = np.asarray(a, dtype=np.float64)
    if noise_var > 0:
        noise = np.random.default_rng(rng_seed).standard_normal(a.shape)
        a = a + np.sqrt(noise_var) * noise
    a = a[:, np.ptp(a, axis=0) > 0]
    if a.shape[1] <= max_dim:
        return a, False
    centred = a - a.mean(axis=0)
    if a.shape[1] <= 1024:
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
    else:
        from sklearn.utils.extmath import randomized_svd

        # One component more than kept: whether the rank exceeds max_dim (information lost).
        _, s, vt = randomized_svd(centred, max_dim + 1, random_state=0)
    keep = s > 1e-10 * s[0] if s.size else s.astype(bool)
    rank = int(keep.sum())
    d = min(max_dim, rank)
    return centred @ vt[:d].T, rank > max_dim


# -- estimation ----------------------------------------------------------------------------------
def _estimate_task(cls, params, seed, task) -> dict[str, Any]:
    """One (layer, target) estimate; warnings come back with it."""
    layer, target, x, y, categorical = task
    kw = dict(params, seed=seed)
    names = cls._param_names()
    for k, v in (("n_jobs", 1), ("progress", False)):
        if k in names:
            kw[k] = v
    if categorical:
        kw["categorical"] = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        if x.shape[1] == 0:  # a constant layer: MI exactly 0
            r = None
        else:
            try:
                r = cls(**kw).estimate(x, y)
            except Exception as err:
                err.add_note(f"{_CALLER}: while estimating I({layer}; {target})")
                raise
    return {
        "layer": layer,
        "target": target,
        "draws_nats": None if r is None else r.draws_nats,
        "kind": cls.kind if r is None else r.kind,
        "bound": None if r is None else r.bound,
        "warnings": [(w.category, str(w.message)) for w in caught],
    }


def _is_categorical(arr: np.ndarray, flag) -> bool:
    if flag is not None:
        return bool(flag)
    a = np.asarray(arr)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        return False
    if a.dtype.kind in "bUSO":
        return True
    return a.dtype.kind in "iu" and len(np.unique(a)) <= MAX_CLASSES


def layer_mi(
    model,
    data,
    target,
    layers=None,
    *,
    method: str = "ksg",
    seed: int = 0,
    max_dim: int = 5,
    noise_var: float = DEFAULT_NOISE_VAR,
    categorical: bool | Mapping[str, bool] | None = None,
    input_key: int | str = 0,
    batch_size: int = 256,
    n_jobs: int = 1,
    progress: bool = False,
    units: str = "nats",
    epoch: int | None = None,
    per_unit: bool = False,
    **params: Any,
) -> LayerMI:
    """I(layer; target) with draws, for every chosen layer of a torch model and every target.

    Parameters
    ----------
    model : torch.nn.Module
        Run once over the data in eval mode under ``torch.no_grad()``; its train/eval mode, its
        hooks and its gradients are as before afterwards.
    data : torch.Tensor, numpy array, torch Dataset or DataLoader
        The inputs, shape (n_samples, ...). A tensor or array is cut into batches of
        ``batch_size``; a Dataset is read through a DataLoader with ``shuffle=False``; a
        DataLoader is iterated as it is (never all in memory at once). Dataset items and loader
        batches may be tuples (input at position ``input_key``) or dicts.
    target : array-like, str, int or dict of name to those
        What each layer is measured against: an array or tensor with one row per sample (labels,
        shape (n_samples,), or parameters, shape (n_samples, d)); a key (str) or position (int)
        of the dataset's items; or ``"input"``: the model's input, flattened, for I(input;
        layer). A dict measures several targets at once, under its names.
    layers : None, str, torch.nn.Module type, or a list of those
        Module names as in ``model.named_modules()`` (an unknown name raises an error listing
        the available ones), module types (every module of that type), or None: every leaf
        module.
    method : str, default="ksg"
        Any registered method (``bm.methods()``); paired differences need one whose class sets
        ``aligned_draws`` (``ksg``, ``gmm``, ``bins``).
    seed : int, default=0
        The same seed for every (layer, target): draws pair across layers.
    max_dim : int, default=5
        Layers (and an ``"input"`` target) wider than this are reduced by PCA to ``max_dim``
        components before estimation. A deterministic function of the layer cannot carry more
        information (data-processing inequality), so such estimates are marked
        ``bound="lower"``.
    noise_var : float, default=0.1
        Variance of Gaussian noise added to every activation (in the layer's units) before
        reduction: the MI is that of the noisy channel T + Z, finite for deterministic networks
        (Saxe et al. 2018; 0 turns it off). Keep it fixed when comparing layers or epochs.
    categorical : bool, dict of target name to bool, or None
        Treat a target as class labels (``categorical=True`` for the methods that support it,
        ``supports_categorical`` on their class). None: 1-D integer, boolean or string targets
        with at most 100 distinct values are categorical.
    input_key : int or str, default=0
        Where the input is in a dataset item or batch.
    batch_size : int, default=256
    n_jobs : int, default=1
        Workers over the (layer, target) estimates; the draws do not depend on it.
    progress : bool
    units : {"nats", "bits"}
    epoch : int, optional
        Label the result with this epoch (as :class:`LayerTracker` does).
    per_unit : bool, default=False
        Measure every unit (flattened output column) of the chosen layers on its own, as the
        "layers" ``"<name>[<j>]"``: which hidden unit carries which target. At most
        :data:`MAX_UNITS` units in all.
    **params
        The method's hyperparameters. Unless given, ``n_permutations=0`` (no permutation
        null) for the methods that have one.

    Returns
    -------
    LayerMI
        Draws in nats, dims (epoch, layer, target, chain, draw).

    Examples
    --------
    >>> r = bm.layer_mi(net, x, target={"input": "input", "labels": y}, layers=torch.nn.Linear)
    >>> r.to_dataframe()
    >>> r.diff("fc1", "fc2", target="labels").hdi(0.9)   # I(fc2; Y) - I(fc1; Y), nats
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{_CALLER}: model must be a torch.nn.Module, got {type(model).__name__}.")
    cls = check_method_params(
        method,
        params,
        caller=_CALLER,
        own=_OWN,
        own_hint="are set by layer_mi itself (seed, n_jobs, progress and the categorical form); "
        "pass seed, n_jobs, progress and categorical to layer_mi.",
    )
    valid = set(cls._param_names())
    params = {k: v for k, v in _DEFAULTS.items() if k in valid} | params
    check_positive_int(max_dim, "max_dim", caller=_CALLER)
    check_positive_int(batch_size, "batch_size", caller=_CALLER)
    noise_var = check_nonnegative(noise_var, "noise_var", caller=_CALLER)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{_CALLER}: seed must be an integer, got {seed!r}.")
    convert_units(0.0, units)

    chosen = _select_layers(model, layers)
    specs = _target_specs(target)
    got = _gather(model, data, chosen, specs, input_key=input_key, batch_size=batch_size)

    cats: dict[str, bool] = {}
    ys: dict[str, np.ndarray] = {}
    input_lost = {}
    for t, arr in got.targets.items():
        flag = categorical.get(t) if isinstance(categorical, Mapping) else categorical
        cats[t] = not _is_input(specs[t]) and _is_categorical(arr, flag)
        if cats[t]:
            if not cls.supports_categorical:
                able = sorted(n for n, c in REGISTRY.items() if c.supports_categorical)
                raise ValueError(
                    f"{_CALLER}: target {t!r} is categorical but method {method!r} has no "
                    f"categorical form; use one of {able}, or categorical=False."
                )
            ys[t] = check_labels(arr, f"target {t!r}", caller=_CALLER)
        elif _is_input(specs[t]):
            ys[t], input_lost[t] = _reduce(arr, max_dim, 0.0, None)
        else:
            a = np.asarray(arr, dtype=np.float64)
            ys[t] = a.reshape(len(a), -1)
    noise_seed = np.random.SeedSequence([int(seed), 0x6C61])  # one noise stream for all layers
    acts = got.activations
    if per_unit:
        total = sum(a.shape[1] for a in acts.values())
        if total > MAX_UNITS:
            raise ValueError(
                f"{_CALLER}: per_unit=True over {total} units, more than {MAX_UNITS}; choose "
                "fewer or narrower layers (layers=...)."
            )
        acts = {f"{n}[{j}]": a[:, j : j + 1] for n, a in acts.items() for j in range(a.shape[1])}
    xs, lost, width, dim = {}, {}, {}, {}
    for name, a in acts.items():
        width[name] = a.shape[1]
        xs[name], lost[name] = _reduce(a, max_dim, noise_var, noise_seed)
        dim[name] = xs[name].shape[1]
    tasks = [(lay, t, xs[lay], ys[t], cats[t]) for lay in xs for t in ys]
    out = run_parallel(
        partial(_estimate_task, cls, params, int(seed)),
        tasks,
        n_jobs=n_jobs,
        progress=progress,
        desc="layer_mi",
    )
    kinds = {o["kind"] for o in out}
    shapes = {o["draws_nats"].shape for o in out if o["draws_nats"] is not None}
    if len(shapes) > 1:
        raise RuntimeError(f"{_CALLER}: the estimates returned draws of shapes {shapes}.")
    shape = shapes.pop() if shapes else (1, 1)
    import xarray as xr

    layer_names, target_names = list(xs), list(ys)
    mi = np.zeros((1, len(layer_names), len(target_names), *shape))
    bound = np.full((len(layer_names), len(target_names)), "none", dtype=object)
    for o in out:
        i, j = layer_names.index(o["layer"]), target_names.index(o["target"])
        if o["draws_nats"] is not None:
            mi[0, i, j] = o["draws_nats"]
        if lost[o["layer"]] or input_lost.get(o["target"], False) or o["bound"] == "lower":
            bound[i, j] = "lower"
        elif o["bound"] is not None:
            bound[i, j] = o["bound"]
        for category, message in o["warnings"]:
            warnings.warn(
                f"{_CALLER}: I({o['layer']}; {o['target']}): {message}", category, stacklevel=2
            )
    ds = xr.Dataset(
        {
            "mi": (("epoch", "layer", "target", "chain", "draw"), mi),
            "bound": (("layer", "target"), bound.astype(str)),
            "width": (("layer",), np.array([width[n] for n in layer_names])),
            "dim": (("epoch", "layer"), np.array([[dim[n] for n in layer_names]])),
        },
        coords={
            "epoch": [-1 if epoch is None else int(epoch)],
            "layer": np.array(layer_names, dtype=object),
            "target": np.array(target_names, dtype=object),
            "chain": np.arange(shape[0]),
            "draw": np.arange(shape[1]),
        },
        attrs={
            "bayesmi_object": "LayerMI",
            "method": method,
            "kind": kinds.pop() if len(kinds) == 1 else cls.kind,
            "seed": int(seed),
            "n_samples": int(got.n),
            "params": json.dumps(params, default=str, sort_keys=True),
            "max_dim": int(max_dim),
            "noise_var": float(noise_var),
            "categorical": json.dumps(cats),
            "tracked": int(epoch is not None),
            "per_unit": int(per_unit),
        },
    )
    return LayerMI(ds, units)


# -- the result ----------------------------------------------------------------------------------
class LayerMI(LabelledDraws):
    """MI draws for every (layer, target), at one epoch or over training: an xarray Dataset
    with the draws in nats and the tables and figures over it.

    Attributes
    ----------
    data : xarray.Dataset
        ``mi`` (draws, nats), dims (epoch, layer, target, chain, draw); ``bound`` (layer,
        target): "lower" where the layer (or an ``"input"`` target) was reduced by PCA, else
        "none"; ``width`` (layer): the layer's flattened width; ``dim`` (epoch, layer): the
        dimension estimated on. Attributes: method, kind, seed, n_samples, params (JSON),
        max_dim, noise_var, categorical (JSON), tracked.
    units : {"nats", "bits"}
        What every table and figure shows; change with :meth:`to`.
    """

    _LABELS = ("layer", "target")

    # -- views -----------------------------------------------------------------------------
    layers = label_view("layer")
    targets = label_view("target")

    @property
    def epochs(self) -> list[int]:
        return [int(v) for v in self.data["epoch"].values]

    @property
    def tracked(self) -> bool:
        return bool(self.data.attrs["tracked"])

    def _epoch_index(self, epoch, caller: str) -> int:
        if epoch is None:
            return len(self.epochs) - 1
        if int(epoch) not in self.epochs:
            raise KeyError(f"LayerMI.{caller}: epoch {epoch!r} is not one of {self.epochs}.")
        return self.epochs.index(int(epoch))

    def _name(self, value, names: list[str], arg: str, caller: str) -> int:
        if str(value) not in names:
            raise KeyError(f"LayerMI.{caller}: {arg} {value!r} is not one of {names}.")
        return names.index(str(value))

    def _target(self, target, caller: str) -> int:
        if target is None:
            if len(self.targets) > 1:
                raise ValueError(
                    f"LayerMI.{caller}: there are several targets {self.targets}; name one "
                    "(target=...)."
                )
            return 0
        return self._name(target, self.targets, "target", caller)

    def result(self, layer: str, target: str | None = None, epoch: int | None = None) -> MIResult:
        """One (layer, target) estimate as an :class:`MIResult`, at ``epoch`` (default: the
        last)."""
        i = self._name(layer, self.layers, "layer", "result")
        j = self._target(target, "result")
        e = self._epoch_index(epoch, "result")
        bound = str(self.data["bound"].values[i, j])
        return MIResult(
            draws_nats=self.data["mi"].values[e, i, j],
            kind=self.kind,
            method=self.method,
            provenance=self._provenance(layer=self.layers[i], target=self.targets[j]),
            bound=None if bound == "none" else bound,
        ).to(self.units)

    def results(self, epoch: int | None = None) -> dict[str, MIResult]:
        """Every (layer, target) at ``epoch`` (default: the last) as an :class:`MIResult`, named
        ``"<layer>-<target>"`` (characters other than letters, digits, - and _ become _): what
        :func:`bayesmi.report` takes, ``bm.report(r.results(), "layers.html")``."""
        import re

        out = {}
        for layer in self.layers:
            for target in self.targets:
                name = re.sub(r"[^0-9A-Za-z_-]", "_", f"{layer}-{target}")
                out[name] = self.result(layer, target, epoch)
        return out

    def _provenance(self, **more) -> dict[str, Any]:
        a = self.data.attrs
        return {
            "method": self.method,
            "params": json.loads(a["params"]),
            "seed": int(a["seed"]),
            "n_samples": int(a["n_samples"]),
            "max_dim": int(a["max_dim"]),
            "noise_var": float(a["noise_var"]),
            **more,
        }

    def diff(self, a: str, b: str, target: str | None = None, epoch: int | None = None) -> MIResult:
        """The paired difference I(b; target) - I(a; target), with its own draws (draw i of b
        minus draw i of a: the same resample of the rows), as an :class:`MIResult` of quantity
        ``"mi_diff"``.

        Only for methods whose draws are index-aligned resamples (their class sets
        ``aligned_draws``: ``ksg``, ``gmm``, ``bins``). The
        difference of two lower bounds (PCA-reduced layers) is not a bound on the difference of
        the layers' MI; it is the difference of the reduced layers' MI.
        """
        if not getattr(REGISTRY.get(self.method), "aligned_draws", False):
            paired = sorted(n for n, c in REGISTRY.items() if c.aligned_draws)
            raise ValueError(
                f"LayerMI.diff: method {self.method!r} draws are not computed on the same "
                "resamples from one estimate to the next (posterior draws or ensembles), so they "
                f"cannot be paired; use one of {paired} for differences between layers."
            )
        i = self._name(a, self.layers, "a", "diff")
        k = self._name(b, self.layers, "b", "diff")
        j = self._target(target, "diff")
        e = self._epoch_index(epoch, "diff")
        mi = self.data["mi"].values[e]
        return MIResult(
            draws_nats=mi[k, j] - mi[i, j],
            kind=self.kind,
            quantity="mi_diff",
            method=self.method,
            provenance=self._provenance(
                difference=f"I({self.layers[k]}; {self.targets[j]}) - "
                f"I({self.layers[i]}; {self.targets[j]})"
            ),
        ).to(self.units)

    def _table(self, values: np.ndarray):
        import pandas as pd

        out = pd.DataFrame(values, index=self.layers, columns=self.targets)
        out.index.name, out.columns.name = "layer", "target"
        out.attrs["units"] = self.units
        return out

    def _flat(self, epoch) -> np.ndarray:
        d = self.draws[self._epoch_index(epoch, "mean")]
        return d.reshape(*d.shape[:2], -1)

    def mean(self, epoch: int | None = None):
        """Mean of the draws, a DataFrame (layer by target) in ``self.units``."""
        return self._table(self._flat(epoch).mean(axis=-1))

    def sd(self, epoch: int | None = None):
        """Standard deviation of the draws, a DataFrame (layer by target)."""
        f = self._flat(epoch)
        return self._table(f.std(axis=-1, ddof=1) if f.shape[-1] > 1 else 0 * f[..., 0])

    def hdi(self, prob: float = 0.9, epoch: int | None = None):
        """The ``prob`` highest-density interval per (layer, target): (lower, upper)
        DataFrames."""
        if not 0 < prob < 1:
            raise ValueError(f"LayerMI.hdi: prob must lie in (0, 1), got {prob}.")
        lo, hi = hdi(self._flat(epoch), prob)
        return self._table(lo), self._table(hi)

    def to_dataframe(self, hdi_prob: float = 0.9):
        """A tidy table, one row per (epoch, layer, target): mean, sd, hdi_low, hdi_high (in
        ``units``), bound, width, dim, n_draws, method, kind."""
        import pandas as pd

        d = self.draws
        flat = d.reshape(*d.shape[:3], -1)
        lo, hi = hdi(flat, hdi_prob)
        rows = []
        for e, ep in enumerate(self.epochs):
            for i, lay in enumerate(self.layers):
                for j, t in enumerate(self.targets):
                    v = flat[e, i, j]
                    rows.append(
                        ({"epoch": ep} if self.tracked else {})
                        | {
                            "layer": lay,
                            "target": t,
                            "mean": float(v.mean()),
                            "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0,
                            "hdi_low": float(lo[e, i, j]),
                            "hdi_high": float(hi[e, i, j]),
                            "units": self.units,
                            "bound": str(self.data["bound"].values[i, j]),
                            "width": int(self.data["width"].values[i]),
                            "dim": int(self.data["dim"].values[e, i]),
                            "n_draws": v.size,
                            "method": self.method,
                            "kind": self.kind,
                        }
                    )
        table = pd.DataFrame(rows)
        table.attrs["hdi_prob"] = hdi_prob
        return table

    # -- combining ---------------------------------------------------------------------------
    def append(self, other: LayerMI) -> LayerMI:
        """This result with ``other``'s epochs added (same layers, targets and settings)."""
        import xarray as xr

        for key in ("method", "seed", "n_samples", "params", "max_dim", "noise_var"):
            if self.data.attrs[key] != other.data.attrs[key]:
                raise ValueError(
                    f"LayerMI.append: {key} differs ({self.data.attrs[key]!r} and "
                    f"{other.data.attrs[key]!r}); epochs of one result share every setting."
                )
        if self.layers != other.layers or self.targets != other.targets:
            raise ValueError("LayerMI.append: the layers and targets must be the same.")
        if set(self.epochs) & set(other.epochs):
            raise ValueError(
                f"LayerMI.append: epoch(s) {sorted(set(self.epochs) & set(other.epochs))} are "
                "already recorded."
            )
        ds = xr.concat(
            [self.data, other.data], dim="epoch", data_vars="minimal", coords="minimal",
            compat="override", join="override",
        )  # fmt: skip
        ds["bound"] = self.data["bound"].where(self.data["bound"] == "lower", other.data["bound"])
        ds["width"] = self.data["width"]
        return LayerMI(ds, self.units)

    # -- figures -----------------------------------------------------------------------------
    def plot_information_plane(
        self, x: str = "input", y: str | None = None, hdi_prob: float = 0.9, ax=None
    ):
        """The information plane: I(x; T) against I(T; y) for every layer T, one track per
        layer over the epochs (a point per epoch, darker later), with ``hdi_prob`` intervals as
        bars in both directions. Returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        ix = self._target(x, "plot_information_plane")
        others = [t for t in self.targets if t != self.targets[ix]]
        if y is None and len(others) != 1:
            raise ValueError(
                f"LayerMI.plot_information_plane: name the y target (y=...), one of {others}."
            )
        iy = self._target(y if y is not None else others[0], "plot_information_plane")
        d = self.draws
        flat = d.reshape(*d.shape[:3], -1)
        lo, hi = hdi(flat, hdi_prob)
        mean = flat.mean(axis=-1)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4.5))
        colours = plt.get_cmap("tab10")
        n_e = len(self.epochs)
        for i, lay in enumerate(self.layers):
            c = colours(i % 10)
            mx, my = mean[:, i, ix], mean[:, i, iy]
            ax.plot(mx, my, "-", color=c, lw=1, alpha=0.6)
            for e in range(n_e):
                ax.errorbar(
                    mx[e], my[e],
                    xerr=[[mx[e] - lo[e, i, ix]], [hi[e, i, ix] - mx[e]]],
                    yerr=[[my[e] - lo[e, i, iy]], [hi[e, i, iy] - my[e]]],
                    fmt="o", color=c, ms=3 + 3 * (e + 1) / n_e, alpha=0.35 + 0.65 * (e + 1) / n_e,
                    elinewidth=0.8, capsize=0, label=lay if e == n_e - 1 else None,
                )  # fmt: skip
        ax.set_xlabel(f"I({self.targets[ix]}; T) [{self.units}]")
        ax.set_ylabel(f"I(T; {self.targets[iy]}) [{self.units}]")
        ax.set_title(
            f"information plane, {self.method}, {hdi_prob:.0%} HDI bars, "
            f"epochs {self.epochs[0]}-{self.epochs[-1]} (later: larger, darker)",
            fontsize="small",
        )
        ax.legend(fontsize="x-small", title="layer", title_fontsize="x-small")
        return ax

    def plot_epochs(self, target: str | None = None, hdi_prob: float = 0.9, ax=None):
        """Each layer's I(T; target) over the epochs, mean and ``hdi_prob`` band. Returns the
        matplotlib axes."""
        import matplotlib.pyplot as plt

        j = self._target(target, "plot_epochs")
        d = self.draws
        flat = d.reshape(*d.shape[:3], -1)[:, :, j]
        lo, hi = hdi(flat, hdi_prob)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        colours = plt.get_cmap("tab10")
        ep = self.epochs
        for i, lay in enumerate(self.layers):
            c = colours(i % 10)
            ax.plot(ep, flat[:, i].mean(axis=-1), "o-", color=c, ms=3, label=lay)
            ax.fill_between(ep, lo[:, i], hi[:, i], color=c, alpha=0.2, lw=0)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"I(T; {self.targets[j]}) [{self.units}]")
        ax.set_title(f"{self.method}, {hdi_prob:.0%} HDI bands", fontsize="small")
        ax.legend(fontsize="x-small")
        return ax

    def plot(self, hdi_prob: float = 0.9, target: str | None = None, ax=None):
        """Each layer's MI with ``target`` at the last epoch: mean and ``hdi_prob`` interval,
        lower bounds marked. Returns the matplotlib axes."""
        import matplotlib.pyplot as plt

        j = self._target(target, "plot")
        lo, hi = (f.to_numpy()[:, j] for f in self.hdi(hdi_prob))
        mean = self.mean().to_numpy()[:, j]
        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(self.layers) + 2), 3.5))
        pos = np.arange(len(self.layers))
        ax.errorbar(pos, mean, yerr=[mean - lo, hi - mean], fmt="o", capsize=3)
        for p, b in zip(pos, self.data["bound"].values[:, j], strict=True):
            if b == "lower":
                ax.annotate("≥", (p, hi[p]), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(pos, self.layers, rotation=45, ha="right")
        ax.set_ylabel(f"I(T; {self.targets[j]}) [{self.units}]")
        ax.set_title(f"{self.method}, {hdi_prob:.0%} HDI (≥: a lower bound)", fontsize="small")
        return ax

    # -- files -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> str:
        """Write the result to a netCDF file atomically (draws in nats); ``bm.load`` reads it."""
        return super().save(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LayerMI:
        """Read a result written by :meth:`save`."""
        out = super().load(path)
        out.data["bound"] = out.data["bound"].astype(str)
        return out

    def __repr__(self) -> str:
        e = f", {len(self.epochs)} epochs" if self.tracked else ""
        return (
            f"LayerMI({len(self.layers)} layers x {len(self.targets)} targets{e}, "
            f"{self._described(QUANTITIES['mi'], 'each')}, noise_var "
            f"{self.data.attrs['noise_var']:g}, max_dim {self.data.attrs['max_dim']})"
        )


# -- over training -------------------------------------------------------------------------------
class LayerTracker:
    """Measure the layers of a model once per epoch, into one :class:`LayerMI`.

    Every epoch uses the same data, target, layers, method, seed and settings (the arguments of
    :func:`layer_mi`), so draws pair across layers and across epochs.

    Examples
    --------
    >>> tracker = bm.LayerTracker(x, target={"input": "input", "labels": y}, layers=nn.Linear)
    >>> for epoch in range(10):
    ...     train_one_epoch(net)
    ...     tracker.record(net, epoch)
    >>> tracker.result.plot_information_plane()
    """

    def __init__(self, data, target, layers=None, **kwargs: Any) -> None:
        self.data = data
        self.target = target
        self.layers = layers
        self.kwargs = kwargs
        self.result: LayerMI | None = None

    def record(self, model, epoch: int) -> LayerMI:
        """Measure ``model`` now, as ``epoch``; returns the result so far (all epochs)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int | np.integer):
            raise TypeError(f"LayerTracker.record: epoch must be an integer, got {epoch!r}.")
        now = layer_mi(model, self.data, self.target, self.layers, epoch=int(epoch), **self.kwargs)
        self.result = now if self.result is None else self.result.append(now)
        return self.result
