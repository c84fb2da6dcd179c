# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
PYTEST_ARGS ?= -n auto

.PHONY: run test lint format bench install install-dev lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed: run e.g. 'make run PYTHON=python3.12'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Installs take the exact versions in requirements/ (the lock files; `make lock` renews them).
$(VENV)/.installed: pyproject.toml requirements/lock.txt | $(BIN)/python
	$(BIN)/pip install -q -c requirements/lock.txt -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml requirements/dev-lock.txt | $(BIN)/python
	$(BIN)/pip install -q -c requirements/dev-lock.txt -e '.[dev]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Set up the database and demo catalog, then serve the shop (PORT=5000 by default).
# SHOP_DEVELOPMENT: no SHOP_BASE_URL needed; `flask serve` uses the address it serves on.
run: export SHOP_DEVELOPMENT ?= 1
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask serve --port $(PORT)

## Install the dev tools and run every test (PostgreSQL tests need TEST_DATABASE_URL).
test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Pin every dependency anew (after changing pyproject.toml's dependencies).
LOCK_FLAGS := -q --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: install-dev
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements/lock.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra dev -o requirements/dev-lock.txt pyproject.toml

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Benchmarks: print figures (throughput, latency, import speed); not pass/fail tests.
bench: install-dev
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
