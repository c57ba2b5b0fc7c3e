# One way to do each thing. `make run` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run demo test screenshots test-postgres lint format clean bench bench-load bench-registry i18n-extract i18n-update i18n-check

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The compiled catalogues (.mo) are built here, never committed: a fresh clone compiles them.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

$(CATALOGUES): %.mo: %.po $(STAMP)
	$(BIN)/python translations/catalog.py compile

install: $(STAMP) $(CATALOGUES)

## Interface languages: write translations/messages.pot from the code; merge it into each
## messages.po; fail, listing them, when a message has no translation (also run by .ci/run)
i18n-extract: install
	$(BIN)/python translations/catalog.py extract

i18n-update: install
	$(BIN)/python translations/catalog.py update

i18n-check: install
	$(BIN)/python translations/catalog.py check

## Set up, migrate, load both référentiels and the demo pilot, then serve on http://127.0.0.1:5000
run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

demo: install
	$(FLASK) db upgrade
	$(FLASK) demo

## Set up and run the whole test suite on every core, slow tests included (SQLite unless
## TEST_DATABASE_URL is set; each xdist worker gets a database of its own)
test: install
	$(BIN)/pytest -n auto

## The browser tests only, saving full-page screenshots of every page they visit (1280 and
## 375 px, each role) to test-artifacts/screenshots/ for people to look at
screenshots: install
	SCREENSHOTS=1 $(BIN)/pytest -n auto tests/browser

## The same suite against the local PostgreSQL server
test-postgres: install
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest -n auto

## Measure the heavy pages (SQLite unless DATABASE_URL is set); writes bench/results.json
bench: install
	$(BIN)/python bench/run.py --size $${BENCH_SIZE:-demo}

## The national register's benchmark (40,000 fiches; SQLite unless DATABASE_URL is set, a
## database it empties first); writes bench/results.json ("registry") and docs/benchmarks.md
bench-registry: install
	$(BIN)/python bench/registry.py --fiches $${FICHES:-40000}

## Load test over HTTP: gunicorn on loopback, wrk on the learner page and the grid (PostgreSQL)
bench-load: install
	$(BIN)/python bench/load.py --size $${BENCH_SIZE:-demo} --workers $${WORKERS:-4}

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
