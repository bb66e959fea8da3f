# Ketaflow: `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
export KETAFLOW_VAR_DIR ?= $(CURDIR)/var

.PHONY: install run run-prod test lint pytest bench demo clean browser-deps system-deps

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,redis,bench]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP) system-deps

# WeasyPrint needs Pango; the PDF tests turn pages into images with poppler's pdftoppm. Install both from
# Debian when missing and apt is usable.
system-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libpango-1.0 || ! command -v pdftoppm >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Pango and poppler-utils for PDF rendering (apt-get)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils >/dev/null; \
	  else echo "warning: libpango or pdftoppm is missing (apt-get install libpango-1.0-0 poppler-utils)"; fi; \
	fi

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
browser-deps:
	@if ! command -v chromium >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian chromium (apt-get)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else echo "warning: chromium is missing and apt-get is not usable: browser tests will fail"; fi; \
	fi

demo: install
	DEBUG=1 $(BIN)/ketaflow migrate --no-input -v 0
	DEBUG=1 $(BIN)/ketaflow demo

run: demo
	@echo "Starting the task worker and the web server on http://$(HOST):$(PORT)/"
	@DEBUG=1 $(BIN)/ketaflow db_worker --queue-name '*' >$(KETAFLOW_VAR_DIR)/worker.log 2>&1 & \
	  worker=$$!; \
	  DEBUG=1 $(BIN)/ketaflow send_reminders --every 300 >$(KETAFLOW_VAR_DIR)/reminders.log 2>&1 & \
	  sweep=$$!; \
	  DEBUG=1 $(BIN)/ketaflow send_measurements --every 300 >$(KETAFLOW_VAR_DIR)/measurements.log 2>&1 & \
	  measures=$$!; trap "kill $$worker $$sweep $$measures 2>/dev/null" EXIT INT TERM; \
	  DEBUG=1 $(BIN)/ketaflow runserver $(HOST):$(PORT)

# The production topology on 127.0.0.1 (docs/scaling.md): PostgreSQL, gunicorn, task workers, reminder sweep.
# `make run-prod TASKS=rq` runs the tasks on Redis (django-tasks-rq) instead of the database queue.
run-prod: install
	TASKS="$(or $(TASKS),db)" bash scripts/run-prod.sh

lint: install
	$(BIN)/ruff check ketaflow bench tests
	$(BIN)/ruff format --check ketaflow bench tests
	$(BIN)/mypy
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/ketaflow makemigrations --check --dry-run -v 0

pytest: install browser-deps
	$(BIN)/pytest -q -n 2 --dist loadgroup $(PYTEST_ARGS)

test: lint pytest

bench: install
	@$(BIN)/python -c "import opentiva" 2>/dev/null || $(BIN)/python -m pip install --quiet --no-build-isolation opentiva==1.1.2 \
	  || echo "opentiva did not build: bench/pk.py reports it as missing"
	@for script in bench/*.py; do echo "== $$script"; DEBUG=1 $(BIN)/python $$script || exit 1; done
	@echo "== long soaks (slow marker, long hypothesis profile)"
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -q -m slow ketaflow

clean:
	rm -rf $(VENV) var
