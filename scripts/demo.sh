#!/usr/bin/env bash
# `make demo`, after the build: see scripts/demo.py.
set -euo pipefail
exec python3 "$(dirname "$0")/demo.py" "$@"
