import inspect
import os

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

# Each xdist worker imports ArviZ (PyMC does) while collecting; the first import of a day in two
# workers at once can fail on ArviZ's daily stamp unless it goes through bayesmi.arviz_io._az.
from bayesmi.arviz_io import _az

_az()

#: BAYESMI_TEST_DATA_SEED=k (k > 0) gives every sampler of bayesmi.truth new data seeds, so that
#: scripts/reseed_tests.sh can rerun the statistical tests on data they were not written on.
#: Unset or 0: the seeds as written.
DATA_SEED_OFFSET = int(os.environ.get("BAYESMI_TEST_DATA_SEED", "0") or 0)


_depth = [0]  # samplers call samplers (transformed_gaussian calls correlated_gaussian): mix once


def _reseeded(fn, offset: int):
    def wrapper(*args, **kwargs):
        seed = kwargs.get("seed")
        if seed is not None and _depth[0] == 0:
            kwargs["seed"] = int(np.random.SeedSequence([seed, offset]).generate_state(1)[0])
        _depth[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            _depth[0] -= 1

    wrapper.__wrapped__ = fn
    return wrapper


@pytest.fixture(autouse=True, scope="session")
def _reseed_truth():
    """With BAYESMI_TEST_DATA_SEED set, every ``truth`` sampler's ``seed`` is mixed with it
    (session scope: module fixtures that make data see it too)."""
    if not DATA_SEED_OFFSET:
        yield
        return
    from bayesmi import truth

    with pytest.MonkeyPatch.context() as mp:
        for name in truth.__all__:
            fn = getattr(truth, name)
            if callable(fn) and "seed" in inspect.signature(fn).parameters:
                mp.setattr(truth, name, _reseeded(fn, DATA_SEED_OFFSET))
        yield


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
