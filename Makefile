# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run demo test bench bench-room check clean bytecode

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Compiled bytecode for our own package, as a regular install has: a learner's terminal then starts
# without compiling ~40 modules (where PYTHONDONTWRITEBYTECODE is set, Python never writes it itself).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q marker_tui > /dev/null

## Start the application on the local database (created, with shipped papers, on first run).
run: bytecode
	$(BIN)/marker-tui --demo-if-new

## Run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest -n 4 --dist worksteal -q

## Validate the shipped papers and mark schemes.
check: $(STAMP)
	$(BIN)/marker-tui check

## Speed and memory figures against same-run baselines.
bench: bytecode
	$(BIN)/python bench/run.py

## A whole room (bench_room.py: N=10,30,60 learners, log-in at once, long answers): ~9 min on its own.
## QUICK=1 for a short try on a busy machine.
bench-room: bytecode
	$(BIN)/python bench/run.py --only room $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) .pytest_cache
