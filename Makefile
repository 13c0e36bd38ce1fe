# vcio: `make run` starts the platform, `make test` runs the suite. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := -e shared -e services/catalog -e services/proposals -e services/billing -e services/scheduler -e services/integrations -e services/strategy -e console -e cli
EXISTING := $(foreach p,shared services/catalog services/proposals services/billing services/scheduler services/integrations services/strategy console cli,$(if $(wildcard $(p)/pyproject.toml),-e $(p)))

.PHONY: install system-deps run test test-fast lint fuzz bench lock clean

$(BIN)/.installed: requirements.lock $(wildcard */pyproject.toml services/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps $(EXISTING)
	touch $@

install: $(BIN)/.installed

system-deps:  ## Debian packages the suite needs (Chromium, poppler, fonts, Pango); installs only what is missing
	bash scripts/system-deps

run: install  ## the whole platform on embedded nats-server + PostgreSQL, data under $VCIO_DATA_DIR (.vcio)
	$(BIN)/vcio dev

test: install system-deps  ## the whole suite, on throwaway servers (installs what it needs first)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: install  ## ruff (lint + format check) and mypy
	$(BIN)/ruff check shared services console cli tests
	$(BIN)/ruff format --check shared services console cli tests
	$(BIN)/mypy shared/src services/*/src console/src cli/src

fuzz: install  ## schemathesis against all four OpenAPI documents
	$(BIN)/python -m pytest -q tests/test_fuzz.py

bench: install  ## benchmarks beside raw baselines; writes .bench/results.json; never fails on a time
	$(BIN)/python -m bench

lock:  ## re-pin third-party dependencies
	$(BIN)/uv pip compile requirements.in -o requirements.lock --python-version 3.11 -q

clean:
	rm -rf $(VENV) .bench
