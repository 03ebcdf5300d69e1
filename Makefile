# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The exact versions of our own runs (make, tox, CI); pyproject.toml holds the ranges users get.
CONSTRAINTS := constraints.txt
PIP_INSTALL := $(BIN)/python -m pip install --quiet -c $(CONSTRAINTS)
# `make run` installs what serving needs (the core and the embedded S3), `make test` the rest.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
# The gallery's tests drive a real headless browser: Debian's chromium, installed when missing.
CHROMIUM := /usr/bin/chromium
HYPOTHESIS_PROFILE ?= ci

.PHONY: run test lint format-check format types spec-lint unit ranges constraints bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -e '.[s3]'
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(PIP_INSTALL) -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(CHROMIUM):
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core

run: $(RUN_STAMP)
	$(BIN)/eigen-mock serve --host 127.0.0.1 --port 8000

test: lint format-check types spec-lint $(CHROMIUM) unit ranges

lint: $(STAMP)
	$(BIN)/ruff check .

format-check: $(STAMP)
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(STAMP)
	$(BIN)/mypy

spec-lint: $(STAMP) $(NODE_STAMP)
	$(BIN)/openapi-spec-validator openapi/eigen.yaml
	npx --no-install spectral lint --fail-severity=warn openapi/eigen.yaml openapi/control.yaml

unit: $(STAMP)
	$(BIN)/pytest --hypothesis-profile=$(HYPOTHESIS_PROFILE)

# The suite's smoke subset on the lowest versions pyproject.toml allows and on the newest the
# registry has, each in a venv of its own (.ci/ranges.py says which tests and why).
ranges: $(STAMP)
	$(BIN)/python .ci/ranges.py lowest newest

# Re-pin constraints.txt after a change of ranges, keeping every version that still fits.
constraints: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 --no-header -o $(CONSTRAINTS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .venv-lowest .venv-newest node_modules .tox .mypy_cache .ruff_cache .pytest_cache
