# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The gallery's tests drive a real headless browser: Debian's chromium, installed when missing.
CHROMIUM := /usr/bin/chromium
HYPOTHESIS_PROFILE ?= ci

.PHONY: run test lint format-check format types spec-lint unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(CHROMIUM):
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core

run: $(STAMP)
	$(BIN)/eigen-mock serve --host 127.0.0.1 --port 8000

test: lint format-check types spec-lint $(CHROMIUM) unit

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

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules .tox .mypy_cache .ruff_cache .pytest_cache
