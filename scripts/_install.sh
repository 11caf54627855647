# Sourced by the scripts: create .venv and install briefing with the given extras.
# llama-cpp-python is compiled here; the default native build crashes on CPUs that advertise
# AMX inside sandboxes that forbid it, so it is built for AVX2 without AMX/AVX-512.
set -euo pipefail
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF}"
.venv/bin/python -m pip install --quiet --upgrade pip
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "building llama-cpp-python from source (first time only, about 5 minutes on 2 cores)..." >&2
fi
.venv/bin/python -m pip install --quiet -e ".[$1]"
