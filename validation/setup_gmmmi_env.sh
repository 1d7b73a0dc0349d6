#!/usr/bin/env bash
# Create (or reuse) an isolated venv for the peer library gmm-mi, used only as a
# subprocess by the side-by-side benchmarks. gmm-mi is GPL-3 + non-commercial:
# we only *run* it from its own venv; none of its code lives in this repo.
#
# Pins: gmm-mi 0.8.x breaks on scikit-learn >= 1.6, and needs numpy < 2.
# Idempotent: re-running only installs what is missing / mismatched.
set -euo pipefail

ENV_DIR="${GMMMI_ENV:-$(cd "$(dirname "$0")/.." && pwd)/.peer-envs/gmmmi}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$ENV_DIR/bin/python" ]; then
    echo "[setup_gmmmi_env] creating venv at $ENV_DIR"
    mkdir -p "$(dirname "$ENV_DIR")"
    "$PYTHON" -m venv "$ENV_DIR"
fi

PY="$ENV_DIR/bin/python"

if "$PY" - <<'PYEOF' 2>/dev/null
import importlib.metadata as md, sys
v = {p: md.version(p) for p in ("gmm-mi", "scikit-learn", "numpy")}
ok = v["gmm-mi"].startswith("0.8.") and v["scikit-learn"] == "1.5.2" and int(v["numpy"].split(".")[0]) < 2
import gmm_mi.mi  # noqa: F401  (import check)
sys.exit(0 if ok else 1)
PYEOF
then
    echo "[setup_gmmmi_env] already set up: $("$PY" -c 'import importlib.metadata as m; print("gmm-mi", m.version("gmm-mi"), "sklearn", m.version("scikit-learn"), "numpy", m.version("numpy"))')"
    exit 0
fi

echo "[setup_gmmmi_env] installing gmm-mi and pins into $ENV_DIR"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install --quiet "gmm-mi>=0.8,<0.9" "scikit-learn==1.5.2" "numpy<2"
"$PY" -c 'import importlib.metadata as m, gmm_mi.mi; print("[setup_gmmmi_env] ok: gmm-mi", m.version("gmm-mi"), "sklearn", m.version("scikit-learn"), "numpy", m.version("numpy"))'
