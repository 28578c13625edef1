# trainerpath — the two commands of the README, and the steps they are made of.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := trainerpath

.PHONY: run test setup static check browser-test clean

## run: set up, migrate, load the demo data (once) and serve on http://$(HOST):$(PORT),
## with a mail worker beside it (mails land in instance/mail/ as .eml files)
# The links in mails (the demo's too, written when it is loaded) lead to this address.
run: export TRAINERPATH_BASE_URL ?= http://$(HOST):$(PORT)
run: setup instance/config.py
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask deliver-mail --loop & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: set up and run the test suite (TRAINERPATH_TEST_DATABASE_URL picks PostgreSQL)
test: setup
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

## browser-test: the real-browser journeys (needs Debian's chromium)
browser-test: setup
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

## check: ruff and mypy
check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

setup: $(VENV)/.installed static

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

static: node_modules/.package-lock.json
	$(BIN)/python scripts/copy_static.py

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# A random secret key, written once, so the app starts outside debug mode.
instance/config.py:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(f'SECRET_KEY = {secrets.token_hex(32)!r}')" > $@

clean:
	rm -rf $(VENV) node_modules trainerpath/static/vendor
