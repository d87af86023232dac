# Two commands for a fresh machine with Python 3.11+:
#   make run    serve Sextant on the embedded default (SQLite, tasks in-process)
#   make test   install the test tools and run the whole suite
PYTHON ?= python3
VENV := .venv
CONFORMANCE_VENV := tests/conformance/.venv
PY := $(VENV)/bin/python
PORT ?= 8000
MLFLOW_VENV := bench/.venv-mlflow

.PHONY: run test install install-test bench bench-keys bench-panels clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py first_run_hint --port $(PORT)
	PORT=$(PORT) $(VENV)/bin/gunicorn config.wsgi -c config/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

# The SSO tests run a real OpenID provider (npm oidc-provider) from tests/oidc.
# Without npm they are skipped with that reason (and fail in CI, where CI=true).
tests/oidc/node_modules/.installed: tests/oidc/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/oidc --no-audit --no-fund && touch $@; \
	else echo "npm not found: the SSO tests will be skipped (they need Node.js 20+)"; fi

# Two pytest processes (pytest-xdist), a file at a time each: much of the suite waits on
# subprocesses (the SDK, gunicorn, Chromium). Each process has its own test database and
# Redis database (config/test_settings.py). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed-test tests/oidc/node_modules/.installed $(CONFORMANCE_VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Report panels on PostgreSQL (bench/panels.py): 1M-step line panel, 50 x 100k grouped, memory.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sextant_bench_panels
bench-panels: $(VENV)/.installed
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/panels.py $(BENCH_ARGS)

# Key authentication cost vs a session, 100,000 keys; needs DATABASE_URL=postgres://... (REDIS_URL as in production).
bench-keys: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sextant_bench_keys} $(PY) bench/keys_auth.py

# Series store on PostgreSQL (bench/series.py): 1M-step line with EMA, 1 % zoom, 50 x 100k grouped,
# a workspace's worth, against today's report panel path and MLflow's sampled-metric endpoint (its own
# venv, as bench-ingest) in the same run; freshness with 16 clients and a Celery worker (Redis:
# BENCH_REDIS_URL); memory; bytes per value in the store vs the lines table.
.PHONY: bench-series
bench-series: $(VENV)/.installed $(MLFLOW_VENV)/.installed
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sextant_bench_series} \
	BENCH_REDIS_URL=$${BENCH_REDIS_URL:-redis://127.0.0.1:6379/6} $(PY) bench/series.py $(BENCH_ARGS)

# Artifacts (bench/artifacts.py): 1 GB upload and download through the HTTP routes vs raw storage
# write/read in the same run; the 100-file artifact with one file changed, through the real SDK.
.PHONY: bench-artifacts
bench-artifacts: $(VENV)/.installed
	$(PY) bench/artifacts.py $(BENCH_ARGS)

# Workspace paint in Chromium (bench/workspace_paint.py): 50 runs x 20 metrics x 10,000 steps,
# first screen and every section, the same panels as a report (baseline), a 1,000,000-step run page.
.PHONY: bench-workspace
bench-workspace: $(VENV)/.installed
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sextant_bench_workspace} $(PY) bench/workspace_paint.py $(BENCH_ARGS)

# The README's screenshots (docs/screenshots/workspace.png, docs/run-page.png), made by the browser tests.
.PHONY: screenshots
screenshots: $(VENV)/.installed-test
	SEXTANT_DOCS_SCREENSHOTS=1 $(PY) -m pytest -q tests/runs/workspace/test_browser.py \
		"tests/runs/pages/test_run_page_browser.py::test_the_printed_link_opens_the_run_page_with_logs_files_media_and_charts"

# Every benchmark, one after the other (PostgreSQL and Redis on 127.0.0.1; about an hour).
bench: bench-keys bench-ingest bench-table bench-panels bench-series bench-artifacts bench-workspace

clean:
	rm -rf $(VENV) .pytest_cache

# Ingestion benchmark (PostgreSQL on 127.0.0.1:5432; BENCH_PG overrides): Sextant's
# file_stream and batch endpoint vs an MLflow tracking server, installed into its own venv.
$(MLFLOW_VENV)/.installed:
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install --quiet "mlflow==3.17.2" "psycopg2-binary==2.9.13" requests
	touch $@

.PHONY: bench-ingest
bench-ingest: $(VENV)/.installed $(MLFLOW_VENV)/.installed
	$(PY) bench/ingest.py $(BENCH_ARGS)

# Runs table benchmark (PostgreSQL + Redis on 127.0.0.1): 100,000 runs in one project,
# filter/sort/group over HTTP, summary freshness with one Celery worker, and MLflow's
# runs search over the same runs (in its own venv, as above).
.PHONY: bench-table
bench-table: $(VENV)/.installed $(MLFLOW_VENV)/.installed
	$(PY) bench/runs_table.py $(BENCH_ARGS)
# Reliability and security suite (tests/reliability, tests/security): faults with the
# real wandb SDK on a stack of its own (PostgreSQL, Redis, gunicorn, Celery started by
# the tests), load, schemathesis, bad input, security checks. `make test` runs the
# CI-sized part; these run everything, long cases included. Figures land in
# tests/reliability/results.json (README "Reliability").
.PHONY: test-reliability test-long
test-reliability: $(VENV)/.installed-test
	SEXTANT_RELIABILITY_RESULTS=tests/reliability/results.json $(PY) -m pytest tests/reliability tests/security -m "slow or not slow" -s $(PYTEST_ARGS)

test-long: $(VENV)/.installed-test
	SEXTANT_RELIABILITY_RESULTS=tests/reliability/results.json $(PY) -m pytest -m slow -s $(PYTEST_ARGS)

# Conformance (tests/conformance): wandb's own system tests, from the wandb v0.28.2
# tag's tree (git, extracted into .cache/conformance at test time, never committed),
# run with wandb 0.31.0 against a live Sextant in an environment of their own.
# `make test` runs a sample (tests/conformance/test_sample.py); this runs the
# directories in tests/conformance/harness.py (DIRS) and rebuilds the README table
# from tests/conformance/results.json. CONFORMANCE_ARGS="--dirs test_api" for one.
$(CONFORMANCE_VENV)/.installed: tests/conformance/requirements.txt
	$(PYTHON) -m venv $(CONFORMANCE_VENV)
	$(CONFORMANCE_VENV)/bin/pip install --quiet -r tests/conformance/requirements.txt
	touch $@

.PHONY: test-conformance
test-conformance: $(VENV)/.installed $(CONFORMANCE_VENV)/.installed
	$(PY) -m tests.conformance.harness --readme $(CONFORMANCE_ARGS)
