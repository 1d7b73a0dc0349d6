#!/usr/bin/env bash
# Install, then run the main job: MI with its interval on generated data of known MI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/bayesmi demo "$@"
