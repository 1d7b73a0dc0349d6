#!/usr/bin/env bash
# Create (or reuse) an isolated venv for the peer library torch-mist, used only as a subprocess
# by benchmarks/neural_vs_torchmist.py and the validation suite. torch is pinned to the local
# CPU build through the project's constraints so that pip takes no other torch.
set -euo pipefail

ENV_DIR="${TORCHMIST_ENV:-$(cd "$(dirname "$0")/.." && pwd)/.peer-envs/torchmist}"
CONSTRAINTS="${CONSTRAINTS:-$(cd "$(dirname "$0")/.." && pwd)/constraints.txt}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$ENV_DIR/bin/python" ]; then
    echo "[setup_torchmist_env] creating venv at $ENV_DIR"
    mkdir -p "$(dirname "$ENV_DIR")"
    "$PYTHON" -m venv "$ENV_DIR"
fi
PY="$ENV_DIR/bin/python"
if "$PY" -c "import torch_mist, torch" 2>/dev/null; then
    echo "[setup_torchmist_env] already set up"
else
    # torch-mist 0.2.17 imports pandas (torch_mist/utils/data/dataset.py) without declaring it.
    "$PY" -m pip install --quiet -c "$CONSTRAINTS" torch==2.13.0 torch-mist pandas
fi
"$PY" -c 'import importlib.metadata as m; print("[setup_torchmist_env] torch-mist", m.version("torch-mist"), "torch", m.version("torch"))'
