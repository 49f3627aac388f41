# The two commands a new user needs:  `make demo`  and  `make test`.
# Both create .venv from nothing (python3 -m venv), install churnlab and its dependencies, then run.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.churnlab-installed

.PHONY: setup demo test test-fast bench notebooks clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py churnlab/mine/_kernels.c  # the C kernels are built by the install
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,notebooks]'
	touch $(STAMP)

demo: setup            ## the main job on the embedded default (no network)
	$(BIN)/churnlab demo

test: setup            ## the whole test suite
	$(BIN)/python -m pytest -n 2 -q

test-fast: setup
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

notebooks: setup       ## execute every notebook (full size); executed copies, HTML and PNGs in reports/notebooks
	$(BIN)/python -m churnlab.notebooks_run notebooks --output-dir reports/notebooks --html --figures

clean:
	rm -rf $(VENV) reports .pytest_cache
