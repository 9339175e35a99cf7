# Two entry points for a fresh machine with Python 3.11:
#   make run   – set everything up and talk to the assistant in the terminal
#   make test  – set everything up and run the whole suite (lint, types, tests)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# pip shows errors only; `make install PIP_QUIET=` shows everything it does
PIP_QUIET ?= --quiet --quiet

.PHONY: run test lint typecheck bench install clean

$(BIN)/zjtx: pyproject.toml
	@echo "Setting up $(VENV): pip install -e '.[dev]' (a minute or two the first time)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install $(PIP_QUIET) --upgrade pip
	@$(BIN)/pip install $(PIP_QUIET) -e '.[dev]'
	@touch $(BIN)/zjtx

install: $(BIN)/zjtx

run: install
	@$(BIN)/zjtx chat

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/assess.py
	$(BIN)/python -m bench.dialog
	$(BIN)/python -m bench.result

clean:
	rm -rf $(VENV) build *.egg-info
