#!/usr/bin/env bash
# Issue 12's checks on a GPU machine, in one command: the GPU tests (tests/test_gpu.py, the
# `gpu` mark), then benchmarks/gpu.py. Everything goes to $OUT (default gpu-out/):
# nvidia-smi.txt, test_gpu.txt, gpu.txt and gpu_results.json.
#
# The project's lent GPU machine has PyTorch, CuPy, NumPy, SciPy, scikit-learn, Matplotlib,
# Rich and Click, but neither array-api-compat nor pytest, no internet, and not ../shared.
# Prepare them once on the development machine, in .gpu/ (ignored by git):
#
#     .venv/bin/pip install -q --target .gpu/deps array-api-compat pytest exceptiongroup tomli
#     mkdir -p .gpu && cp -r ../shared/data/mnist .gpu/mnist
#
# then run `bash benchmarks/gpu_check.sh` there with `.gpu` carried. Arguments go on to
# gpu.py (`bash benchmarks/gpu_check.sh --device cpu --quick` checks the script anywhere).
set -uo pipefail  # no -e: the benchmark runs even when a test fails
cd "$(dirname "$0")/.."
out=${OUT:-gpu-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if [ -d .gpu/deps ]; then
    export PYTHONPATH="$PYTHONPATH:$PWD/.gpu/deps"  # after the machine's own packages
fi
mnist=()
if [ -d .gpu/mnist ]; then
    mnist=(--mnist-dir .gpu/mnist)
fi

nvidia-smi >"$out/nvidia-smi.txt" 2>&1
python -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__)" \
    2>&1 | tee "$out/test_gpu.txt"
python -m pytest -p no:cacheprovider -o addopts="" -m gpu -q -rs tests/test_gpu.py 2>&1 \
    | tee -a "$out/test_gpu.txt"
python benchmarks/gpu.py "${mnist[@]}" "$@" --out "$out/gpu_results.json" 2>&1 | tee "$out/gpu.txt"
