#!/usr/bin/env bash
# Create (or reuse) an isolated venv for the peer library latentmi, used only as a subprocess
# by benchmarks/latent_vs_latentmi.py. latentmi pins numpy < 2; torch is pinned to the local
# CPU build through the project's constraints so that pip takes no other torch.
set -euo pipefail

ENV_DIR="${LATENTMI_ENV:-$(cd "$(dirname "$0")/.." && pwd)/.peer-envs/latentmi}"
CONSTRAINTS="${CONSTRAINTS:-$(cd "$(dirname "$0")/.." && pwd)/constraints.txt}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$ENV_DIR/bin/python" ]; then
    echo "[setup_latentmi_env] creating venv at $ENV_DIR"
    mkdir -p "$(dirname "$ENV_DIR")"
    "$PYTHON" -m venv "$ENV_DIR"
fi
PY="$ENV_DIR/bin/python"
if "$PY" -c "import latentmi.lmi, torch" 2>/dev/null; then
    echo "[setup_latentmi_env] already set up"
else
    "$PY" -m pip install --quiet -c "$CONSTRAINTS" torch==2.13.0 latentmi "numpy<2"
fi
"$PY" -c 'import importlib.metadata as m; print("[setup_latentmi_env] latentmi", m.version("latentmi"), "torch", m.version("torch"), "numpy", m.version("numpy"))'
