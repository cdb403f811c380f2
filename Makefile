# Two commands do the whole set-up: `make run` (the bot; a local sandbox when no token is set)
# and `make test` (lint, layer contracts, types, the whole suite on SQLite and, when it answers, PostgreSQL).

VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

$(BIN)/gridcare: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

.PHONY: install run test lint bench
install: $(BIN)/gridcare

run: install
	$(BIN)/gridcare run

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	@if [ -z "$$GRIDCARE_TEST_POSTGRES_URL" ] && $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "PostgreSQL answers: the suite runs on SQLite and PostgreSQL"; \
		export GRIDCARE_TEST_POSTGRES_URL='$(PG_URL)'; \
	fi; $(BIN)/pytest -n auto --maxprocesses 4  # one worker per core (at most 4): 2 on CI

bench: install
	$(BIN)/python -m bench
