# Oneshelf: `make run` serves a demo store, `make test` runs the tests, `make bench` measures.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run serve worker test bench setup setup-dev sysdeps sysdeps-test migrate lint clean

run: setup migrate  ## Serve the demo store on HOST:PORT (default 127.0.0.1:5000)
	@$(FLASK) demo --if-empty
	@$(PY) -m app

test: setup-dev sysdeps-test  ## Run the test suite
	@$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: setup-dev sysdeps-test  ## Print benchmark tables
	@$(PY) bench/bench_labels.py
	@$(PY) bench/bench_stock.py
	@$(PY) bench/bench_kiosk.py
	@$(PY) bench/bench_checkout.py
	@$(PY) bench/bench_decode.py
	@$(PY) bench/bench_events.py
	@$(PY) bench/bench_reconcile.py
	@$(PY) bench/bench_route.py
	@$(PY) bench/bench_analytics.py
	@$(PY) bench/bench_settlement.py
	@$(PY) bench/bench_search.py

migrate: setup
	@$(FLASK) db upgrade

# The production server: gunicorn, one gevent worker with gevent-websocket per process (a
# Socket.IO session lives in one process). More capacity: several `make serve PORT=...` on one
# DATABASE_URL (PostgreSQL) and one REDIS_URL, behind a proxy with sticky sessions (README).
# SERVE_ARGS passes more gunicorn options, e.g. SERVE_ARGS='--access-logfile -'.
SERVE_WORKER := geventwebsocket.gunicorn.workers.GeventWebSocketWorker
serve: setup migrate  ## Serve in production (gunicorn + gevent) on HOST:PORT (default 127.0.0.1:5000)
	@SOCKETIO_ASYNC_MODE=gevent exec $(VENV)/bin/gunicorn -k $(SERVE_WORKER) -w 1 --worker-connections 10000 \
	  --no-control-socket -b "$${HOST:-127.0.0.1}:$${PORT:-5000}" $(SERVE_ARGS) app.wsgi:app

# A job worker (label PDFs, imports, the holds sweeper, the outbox publisher) in its own process.
# `make run` and `make serve` run one inside the server already; with separate workers, start the
# servers with JOBS_IN_PROCESS=0 and as many `make worker` as needed (JOBS_WORKERS threads each).
worker: setup migrate  ## Run a job worker on the queue of DATABASE_URL / REDIS_URL
	@exec $(FLASK) jobs worker

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Oneshelf needs Python 3.11 or newer.")'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment: install python3-venv (sudo apt-get install -y python3-venv)."; exit 1; }
	@$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python requirements.txt
	@$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	@$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed sysdeps
setup-dev: $(VENV)/.installed-dev sysdeps

# System packages: installed when we may (root or password-less sudo), else one line says what to run.
define need_deb
	@if ! $(2) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo"; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null; then \
	    echo "Installing $(1) ..."; \
	    $$SUDO apt-get install -y -qq $(1) >/dev/null 2>&1 || { $$SUDO apt-get update -qq >/dev/null && $$SUDO apt-get install -y -qq $(1) >/dev/null; } ; \
	  else echo "Missing system package: run  sudo apt-get install -y $(1)"; exit 1; fi; \
	fi
endef

sysdeps:
	$(call need_deb,libzbar0,ldconfig -p | grep -q 'libzbar.so.0')
	$(call need_deb,fonts-droid-fallback,test -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf)

sysdeps-test:
	$(call need_deb,poppler-utils,command -v pdftoppm)

lint: setup-dev
	@$(VENV)/bin/ruff check app tests bench kiosk

clean:
	rm -rf $(VENV) .pytest_cache
