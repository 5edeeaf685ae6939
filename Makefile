# CPD Logbook — the two commands: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run run-scale test test-scale test-deps test-pg coverage lint system-deps system-deps-scale system-deps-bench bench bench-all bench-staff-import bench-load bench-hostile clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.app-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.app-installed

$(VENV)/.scale-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[scale]'
	touch $@

# The PWA's JS tests need fake-indexeddb and axe-core (test-only; the app has no npm dependencies).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## run: install, migrate, load the demo organisation and serve on http://127.0.0.1:5000
run: $(VENV)/.app-installed
	$(BIN)/logbook init-db
	$(BIN)/logbook demo
	$(BIN)/logbook serve --host $(HOST) --port $(PORT)

## run-scale: the scale-out profile on this machine (PostgreSQL, Redis, SeaweedFS S3, two gunicorn servers behind HAProxy, an RQ worker); prints the URL, Ctrl+C stops it (docs/operations.md)
# SCALE_DATA (build/scale), SCALE_BASE_PORT (8400), SCALE_PG_URL, SCALE_WORKERS: see scripts/scale.py.
run-scale: system-deps-scale $(VENV)/.scale-installed
	SCALE_DEMO=1 $(BIN)/python scripts/scale.py run

## test-scale: tests/scale against the real profile, started and stopped by the same script
test-scale: system-deps-scale $(VENV)/.test-installed
	$(BIN)/python -m pytest -m scale tests/scale

## system-deps-scale: Debian's redis-server and haproxy for the scale-out profile
system-deps-scale:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing="$$missing haproxy"; \
	command -v pg_isready >/dev/null 2>&1 || missing="$$missing postgresql-client"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages:$$missing — run: sudo apt-get install --no-install-recommends$$missing"; exit 1; \
	  fi; \
	fi

## system-deps: Debian packages the tests need (WeasyPrint's harfbuzz subsetter, Chromium, poppler, Node for the PWA's JS tests)
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	dpkg -s libharfbuzz-subset0 >/dev/null 2>&1 || missing="$$missing libharfbuzz-subset0"; \
	command -v pdftoppm >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "Missing Debian packages:$$missing — run: sudo apt-get install --no-install-recommends$$missing"; exit 1; \
	  fi; \
	fi

## lint: ruff, bandit, mypy, and import-linter's layers contracts ([tool.importlinter] in pyproject.toml; docs/architecture.md)
# LINT_CACHE: where mypy and import-linter keep their caches; two `make test` side by side (.ci/run)
# give each its own, because neither tool's cache is safe to write from two processes at once.
LINT_CACHE ?= build/lint-cache
lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/bandit -q -c pyproject.toml -r logbook
	$(BIN)/mypy --cache-dir $(LINT_CACHE)/mypy
	$(BIN)/lint-imports --no-logo --cache-dir $(LINT_CACHE)/import-linter

## test-deps: everything `make test` installs, without running the tests (CI installs once, then runs two suites)
test-deps: system-deps $(VENV)/.test-installed node_modules/.installed

## test: install everything and run the whole suite (SQLite; set LOGBOOK_TEST_DATABASE_URL for PostgreSQL)
test: system-deps $(VENV)/.test-installed node_modules/.installed lint
	$(BIN)/python -m pytest

## coverage: the whole suite (SQLite) with branch coverage of logbook/, printed as a table
coverage: system-deps $(VENV)/.test-installed node_modules/.installed
	$(BIN)/python -m pytest --cov=logbook --cov-branch --cov-report=term:skip-covered

## test-pg: the whole suite on the local PostgreSQL
test-pg:
	LOGBOOK_TEST_DATABASE_URL=$${LOGBOOK_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/logbook_test} $(MAKE) test

## system-deps-bench: Debian's wrk, the load generator bench_throughput.py drives gunicorn with
system-deps-bench:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: wrk"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; \
	  else \
	    echo "Missing Debian package: wrk — run: sudo apt-get install --no-install-recommends wrk"; exit 1; \
	  fi; \
	fi

## bench: issue 24's table in one run: every bench/bench_*.py's ROW lines (path, today, baseline, ratio, goal) on SQLite and PostgreSQL
bench: system-deps-bench $(VENV)/.test-installed
	$(BIN)/python bench/summary.py

## bench-all: every benchmark's full figures (not tests); record them in docs/benchmarks.md
bench-all: $(VENV)/.test-installed
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## bench-staff-import: `logbook import-staff` on a generated 5,000-person file (time, peak memory; docs/benchmarks.md)
bench-staff-import: $(VENV)/.test-installed
	$(BIN)/python -u bench/bench_staff_import.py 5000

## bench-load: gunicorn under locust (own virtualenv) on SQLite and PostgreSQL; LOAD_ARGS="--clients 10,50,200 --duration 60"
LOCUST_VENV ?= build/locust-venv
LOAD_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/logbook_load
LOAD_ARGS ?= --clients 10,50,200 --duration 60

$(LOCUST_VENV)/bin/locust:
	$(PYTHON) -m venv $(LOCUST_VENV)
	$(LOCUST_VENV)/bin/pip install -q locust==2.47.0

bench-load: $(VENV)/.app-installed $(LOCUST_VENV)/bin/locust
	$(BIN)/python bench/load/run_load.py --locust $(LOCUST_VENV)/bin/locust \
	  --engine sqlite --engine postgresql --pg-url $(LOAD_PG_URL) $(LOAD_ARGS)

## bench-hostile: 10 simultaneous malicious uploads against serve --prod; workers' peak RSS, a normal client's latency (HOSTILE_ARGS="--seconds 60 --pg-url postgresql+psycopg://…")
HOSTILE_ARGS ?= --attackers 10 --seconds 60
bench-hostile: $(VENV)/.test-installed
	$(BIN)/python bench/hostile_load.py $(HOSTILE_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .coverage .ruff_cache
