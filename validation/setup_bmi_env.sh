#!/usr/bin/env bash
# Create (or reuse) an isolated venv for the BMI benchmark's package (benchmark-mi, `import bmi`),
# used only as a subprocess by the validation suite (validation/bmi_batch.py).
# Pins: pip would pick jax 0.4.38, which breaks the equinox that benchmark-mi 0.1.3 pins;
# jax/jaxlib 0.4.33 work. Idempotent: re-running installs only what is missing.
set -euo pipefail

ENV_DIR="${BMI_ENV:-$(cd "$(dirname "$0")/.." && pwd)/.peer-envs/bmi}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$ENV_DIR/bin/python" ]; then
    echo "[setup_bmi_env] creating venv at $ENV_DIR"
    mkdir -p "$(dirname "$ENV_DIR")"
    "$PYTHON" -m venv "$ENV_DIR"
fi
PY="$ENV_DIR/bin/python"
if "$PY" -c "import bmi" 2>/dev/null; then
    echo "[setup_bmi_env] already set up"
else
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet "benchmark-mi==0.1.3" "jax==0.4.33" "jaxlib==0.4.33"
fi
"$PY" -c 'import importlib.metadata as m; print("[setup_bmi_env] benchmark-mi", m.version("benchmark-mi"), "jax", m.version("jax"), "numpy", m.version("numpy"))'
