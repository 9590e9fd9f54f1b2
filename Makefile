# The commands a developer runs are the commands CI runs (.ci/run calls `make ci`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install install-dev browser pgbouncer http-audit run test data-check lint check-migrations schema ci bench-import bench-reads

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		else echo "install Debian's chromium (sudo apt-get install chromium) for the browser tests"; fi; \
	fi

# Debian's PgBouncer, which the pooler tests start in front of a private cluster.
pgbouncer:
	@if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null; \
		else echo "install Debian's pgbouncer (sudo apt-get install pgbouncer) for the pooler tests"; fi; \
	fi

# Node and graphql-http's GraphQL-over-HTTP audit, which a test runs against a live server.
http-audit:
	@if ! command -v npm >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; \
		else echo "install Node.js and npm (sudo apt-get install nodejs npm) for the HTTP audit"; fi; \
	fi
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/http_audit --silent --no-audit --no-fund; fi

# Serve on the embedded PostgreSQL (or DATABASE_URL) with the seed loaded: GraphiQL at /graphql.
run: install
	$(BIN)/credence serve

# Everything the tests need, then every test.
test: install-dev browser pgbouncer http-audit
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The seed's data quality: sources, quotes, days backed by quotes, government periods.
data-check: install-dev
	$(BIN)/python -m api.seed.quality

# `alembic upgrade head` then `alembic check` on a fresh database (DATABASE_URL, else embedded).
check-migrations: install-dev
	$(BIN)/alembic upgrade head
	$(BIN)/alembic check

schema: install-dev
	$(BIN)/credence schema export

ci: test lint

bench-import: install-dev
	$(BIN)/python bench/import.py

bench-reads: install-dev
	$(BIN)/python -m bench.reads
