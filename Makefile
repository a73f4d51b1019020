# One-command entry points. Every target bootstraps .venv from the committed lock first, so a fresh
# machine with only python3 works. `make lock` regenerates the lock (needs network to PyPI).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DBT_MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project/models dbt_project/seeds dbt_project/macros dbt_project/tests -type f 2>/dev/null) dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: run run-public test test-fast lint dev dashboard docs export bench clean lock sample

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# dbt parse once per change of the dbt project (dagster-dbt reads target/manifest.json).
$(DBT_MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .

run: $(DBT_MANIFEST)
	$(BIN)/scomm run

# The warehouse from the real public files only (the `public` profile of sources.yml): each pinned
# file from MIRROR when that folder exists (sha256 checked), else from the download cache or the
# internet. Publishes into data/warehouse-public/ so the sample warehouse stays as it is.
MIRROR ?= ../shared/reference
run-public: $(DBT_MANIFEST)
	$(BIN)/scomm run --profile public $(if $(wildcard $(MIRROR)),--mirror $(MIRROR)) --warehouse data/warehouse-public

# The browser tests drive Debian's Chromium (no browser download: that fails here).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# axe-core for the browser tests' accessibility checks: from the npm registry, pinned by
# tests/browser/package-lock.json, installed once per change of the lock (a stamp, like the venv).
NPM := /usr/bin/npm
$(NPM):
	@echo "installing Debian's npm for the browser tests' axe-core"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
AXE_STAMP := tests/browser/node_modules/.installed
$(AXE_STAMP): tests/browser/package.json tests/browser/package-lock.json | $(NPM)
	cd tests/browser && $(NPM) ci --no-audit --no-fund --silent
	touch $(AXE_STAMP)

# A DuckDB 1.x client in its own venv (tests/test_compat.py opens the published file with it).
DUCKDB1_LOCK := tests/compat/requirements-duckdb1.lock
DUCKDB1_STAMP := .venv-duckdb1/.installed
$(DUCKDB1_STAMP): $(DUCKDB1_LOCK)
	test -x .venv-duckdb1/bin/python || $(PYTHON) -m venv .venv-duckdb1
	.venv-duckdb1/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r $(DUCKDB1_LOCK)
	touch $(DUCKDB1_STAMP)

test: $(DBT_MANIFEST) $(CHROMIUM) $(AXE_STAMP) $(DUCKDB1_STAMP)
	$(BIN)/python -m pytest

# The inner loop, under 90 s on the 2-core machine: the tests marked `fast` (the marker is in
# pyproject.toml; a module opts in with `pytestmark = pytest.mark.fast`): unit tests of the
# readers, rules, suites, fetching and the package's rooms, and the tests that read the one
# small end-to-end run (the whole job on the embedded sample, built once), the read-only SQL
# command and the README's SQL. No browser, no DuckDB 1.x client, no crash or daemon tests:
# `make test` runs everything.
test-fast: $(DBT_MANIFEST)
	$(BIN)/python -m pytest -m fast -n 2

# ruff (lint and format), mypy on the package and the benchmarks, sqlfluff on the dbt SQL.
PY_SOURCES := orchestration tests data/sample benchmarks
lint: $(DBT_MANIFEST)
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/mypy
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests

dev: $(DBT_MANIFEST)
	$(BIN)/dagster dev

# The dashboard on http://127.0.0.1:8050/ (after `make run`); PORT=… to change,
# WAREHOUSE=data/warehouse-public for the real-data warehouse of `make run-public`.
PORT ?= 8050
WAREHOUSE ?= data/warehouse
dashboard: $(STAMP)
	$(BIN)/scomm dashboard --port $(PORT) --warehouse $(WAREHOUSE)

# dbt's documentation site (data dictionary and lineage graph) as static files, offline: into
# WAREHOUSE/docs, which `make dashboard` serves under /docs (DOCS_OUT=DIR to write elsewhere).
DOCS_OUT ?=
docs: $(DBT_MANIFEST)
	$(BIN)/scomm docs --warehouse $(WAREHOUSE) $(if $(DOCS_OUT),--out $(DOCS_OUT))

ROWS ?= 1000000
bench: $(DBT_MANIFEST)
	$(BIN)/scomm bench --rows $(ROWS)

export: $(STAMP)
	$(BIN)/scomm export --format parquet --out data/export

sample: $(STAMP)
	$(BIN)/python data/sample/generate.py

lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet -e '.[dev]'
	.lockvenv/bin/pip freeze --exclude-editable | grep -v '^scomm' > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf data/warehouse dbt_project/target dbt_project/logs .venv-duckdb1
