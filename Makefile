# Two set-up commands for a fresh machine (see README): `make app` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: app test install install-test chromium gpu-profiles bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip

# Core + web app (no torch).
install: $(BIN)/python
	$(BIN)/pip install -q -e .

# Everything the test suite needs: core, the `measure` extra (torch==2.13.0 CPU wheel, diffusers), test tools.
install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[measure,test]'

# Debian's chromium serves kaleido (static chart export) and the Playwright browser test.
chromium:
	@bash scripts/ensure_chromium.sh

app: install chromium
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

test: install-test chromium
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -ra -n auto --dist loadfile

bench: install-test
	@for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# On a machine with an NVIDIA GPU (see scripts/gpu_profiles.sh).
gpu-profiles:
	bash scripts/gpu_profiles.sh

clean:
	rm -rf $(VENV) artifacts .pytest_cache
