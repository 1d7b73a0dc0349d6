#!/usr/bin/env bash
# Create (once) a virtual environment in .venv and install bayesmi with every extra.
# constraints.txt pins torch to the local CPU build, so no CUDA wheels are ever pulled;
# requirements.lock pins every other package (made by scripts/lock.sh from pyproject.toml's
# ranges), so every machine and every day installs the same versions. To test against the
# newest releases instead: BAYESMI_UNLOCKED=1 bash scripts/test.sh (in a fresh .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
lock=(-c requirements.lock)
if [ "${BAYESMI_UNLOCKED:-0}" = 1 ]; then lock=(); fi
.venv/bin/python -m pip install --quiet -c constraints.txt "${lock[@]}" -e ".[all,test]" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
