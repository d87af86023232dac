# Two commands for a fresh machine with Python 3.11+:
#   make run    serve Sextant on the embedded default (SQLite, tasks in-process)
#   make test   install the test tools and run the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install install-test bench clean

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
	$(VENV)/bin/gunicorn config.wsgi -c config/gunicorn.conf.py --bind 127.0.0.1:$(PORT)

test: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache

# Ingestion benchmark (PostgreSQL on 127.0.0.1:5432; BENCH_PG overrides): Sextant's
# file_stream and batch endpoint vs an MLflow tracking server, installed into its own venv.
MLFLOW_VENV := bench/.venv-mlflow
$(MLFLOW_VENV)/.installed:
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install --quiet "mlflow==3.17.2" "psycopg2-binary==2.9.13" requests
	touch $@

.PHONY: bench-ingest
bench-ingest: $(VENV)/.installed $(MLFLOW_VENV)/.installed
	$(PY) bench/ingest.py $(BENCH_ARGS)
