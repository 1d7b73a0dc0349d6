#!/usr/bin/env bash
# Create (once) a virtual environment in .venv and install bayesmi with every extra.
# constraints.txt pins torch to the local CPU build, so no CUDA wheels are ever pulled.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[all,test]"
