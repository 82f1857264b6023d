# The two commands: `make run` (the app with demo data, a Celery worker and beat) and
# `make test` (the whole suite). Both create .venv and install what they need first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint check format bench-catalog bench-allocation bench-checkout bench-sync bench-storefront bench-scaleout bench-crm bench-pricing bench-staff clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Omni needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runall

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: lint
	DJANGO_SETTINGS_MODULE=omni.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench-catalog: install
	$(BIN)/python bench/catalog.py $(BENCH_ARGS)

bench-allocation: install
	$(BIN)/python bench/allocation.py $(BENCH_ARGS)

bench-checkout: install
	$(BIN)/python bench/checkout.py $(BENCH_ARGS)

bench-sync: install
	$(BIN)/python bench/sync.py $(BENCH_ARGS)

bench-storefront: install
	$(BIN)/python bench/storefront.py $(BENCH_ARGS)

bench-scaleout: install
	$(BIN)/python bench/scaleout.py $(BENCH_ARGS)

bench-crm: install
	$(BIN)/python bench/crm.py $(BENCH_ARGS)

bench-pricing: install
	$(BIN)/python bench/pricing.py $(BENCH_ARGS)

bench-staff: install
	$(BIN)/python bench/staff.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
