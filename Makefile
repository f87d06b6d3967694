# The two commands of the README: `make run` and `make test`. Both set up the same way first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint typecheck format install bench audit

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	@bash scripts/run.sh

test: $(VENV)/.installed
	@bash scripts/test.sh

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(VENV)/.installed
	$(PY) manage.py bench_writebuffer

# Known vulnerabilities in the pinned requirements. Needs the network (the vulnerability
# database is online), so it is its own target rather than part of `make test`.
audit: $(VENV)/.installed
	$(VENV)/bin/pip-audit --requirement requirements.txt --progress-spinner off --strict
