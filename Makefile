# Two commands for a fresh machine with Python 3.11+:
#   make run    serve Sextant on the embedded default (SQLite, tasks in-process)
#   make test   install the test tools and run the whole suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install install-test bench bench-keys clean

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

# Key authentication cost vs a session, 100,000 keys; needs DATABASE_URL=postgres://... (REDIS_URL as in production).
bench-keys: $(VENV)/.installed
	$(PY) bench/keys_auth.py

clean:
	rm -rf $(VENV) .pytest_cache
