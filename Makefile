# `make demo` and `make test` each create .venv on first use; later runs reuse it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-gpu lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files make a second `make` skip the install unless pyproject.toml changed.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/backprop train digits

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# The engine on a CUDA GPU through PyTorch (and CuPy, if installed); skipped without CUDA.
test-gpu: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m gpu -n 0 tests/test_gpu.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Speed against scikit-learn and PyTorch (needs torch==2.13.0 in .venv; run on a quiet machine).
bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) runs sweeps .pytest_cache .mypy_cache .ruff_cache src/*.egg-info
