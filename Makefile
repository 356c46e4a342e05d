# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test bench check clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## Start the application on the local database (created, with shipped papers, on first run).
run: $(STAMP)
	$(BIN)/marker-tui --demo-if-new

## Run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

## Validate the shipped papers and mark schemes.
check: $(STAMP)
	$(BIN)/marker-tui check

## Speed and memory figures against same-run baselines.
bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache
