#!/usr/bin/env bash
# Install the test dependencies, lint, then run the whole test suite. .ci/run calls this file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check bayesmi tests benchmarks validation
.venv/bin/ruff format --check bayesmi tests benchmarks validation
# One BLAS thread per process: the estimators parallelise with joblib instead. loadgroup keeps
# each xdist_group (the bayes_gmm tests) on one worker, so its compiled models are shared.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
.venv/bin/python -m pytest -n 2 --dist loadgroup -q "$@"
