# Two commands do all set-up on a fresh machine with python3 and make:
#   make run   - the dashboard on the demo scenario
#   make test  - the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO ?= demo

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ordersaga dashboard --db $(VENV)/demo.db $(DEMO)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The engine's benchmarks (about two minutes); figures are only comparable on a quiet machine.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
