# Two commands for a fresh machine with Python 3.11+:
#   make run    serve Sextant on the embedded default (SQLite, tasks in-process)
#   make test   install the test tools and run the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install install-test bench bench-panels clean

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

# Report panels on PostgreSQL (bench/panels.py): 1M-step line panel, 50 x 100k grouped, memory.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sextant_bench_panels
bench-panels: $(VENV)/.installed
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/panels.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
