# Two commands do all set-up on a fresh machine with python3 and make:
#   make run   - the dashboard on the demo database: the demo the first time,
#                afterwards the database as it was left
#   make demo  - the dashboard on the demo scenario loaded afresh (replaces the demo database)
#   make check - ruff over the checkout, mypy --strict over app, actors and storage
#   make test  - check and the whole suite, side by side (under CI=true a PostgreSQL that cannot start fails it)
#   make test-quick - the suite without the PostgreSQL tests, for a fast loop
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
DEMO ?= demo
DEMO_DB := $(VENV)/demo.db

.PHONY: run demo check test test-quick bench profile clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Loads the demo only when there is no database yet, so a second `make run` keeps your work.
run: $(STAMP)
	$(BIN)/ordersaga dashboard --db $(DEMO_DB) $(if $(wildcard $(DEMO_DB)),,$(DEMO))

demo: $(STAMP)
	$(BIN)/ordersaga dashboard --db $(DEMO_DB) $(DEMO)

# Types are part of the contract between the layers (see [tool.mypy] in pyproject.toml).
check: $(STAMP)
	$(BIN)/ruff check app actors storage tests bench scenarios
	$(BIN)/mypy --strict app actors storage

# Twice as many test processes as cores: a third of the suite waits on the clock (outages,
# takeovers), and those tests are spread through the run (tests/conftest.py) so the rest works
# meanwhile. Each process is handed one test at a time as it frees up, so the waiting tests go
# to whichever is free instead of queueing in one process's batch. The check runs beside the
# suite, on the core its waiting leaves free; either failing fails the target.
TEST_PROCESSES ?= $(shell echo $$(( $$(nproc) * 2 )))

# The project's modules compiled first: where PYTHONDONTWRITEBYTECODE is set (it is on this
# project's machines), every process the suite starts would otherwise compile them again.
test: $(STAMP)
	@$(BIN)/python -m compileall -q app actors storage tests bench scenarios > /dev/null
	@$(MAKE) --no-print-directory check > $(VENV)/check.log 2>&1 & checking=$$!; \
	$(BIN)/python -m pytest -q -n $(TEST_PROCESSES) --maxschedchunk 1; tested=$$?; \
	wait $$checking; checked=$$?; cat $(VENV)/check.log; \
	[ $$checked -eq 0 ] && exit $$tested || exit $$checked

test-quick: $(STAMP)
	$(BIN)/python -m pytest -q -n auto -m 'not postgres'

$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

# The engine's benchmarks beside DBOS Transact (about three minutes); every figure is printed with
# the load average it was measured under, since they are only comparable on a quiet machine.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

# A py-spy profile of the throughput run, and the 15 functions with the most own time.
profile: $(BENCH_STAMP)
	$(BIN)/python -m bench.profile

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache
