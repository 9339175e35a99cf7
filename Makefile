# Two entry points for a fresh machine with Python 3.11:
#   make run   – set everything up and talk to the assistant in the terminal
#   make test  – set everything up and run the whole suite (lint, types, tests)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck bench install clean

$(BIN)/zjtx: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/zjtx

install: $(BIN)/zjtx

run: install
	$(BIN)/zjtx chat

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
