#!/usr/bin/env bash
# Install briefing into .venv and make a digest of the bundled sample articles into output/.
# Needs an LLM endpoint for now: OPENAI_API_KEY, or BRIEFING_LLM_BASE_URL (+ BRIEFING_LLM_MODEL).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
exec .venv/bin/briefing run examples/articles --out output "$@"
