# telegemini — the two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The browser tests drive Debian's Chromium: Playwright's own browser download needs the internet.
CHROMIUM := /usr/bin/chromium

DEV    := $(VENV)/.installed-dev

.PHONY: install install-dev run test lint fmt unit e2e browser sandbox migrate bench lock clean

# What the bot needs to run, and nothing else: `make run` never waits for the test tools.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $(STAMP)

# The development tools on top (linters, type checker, test runner, Playwright).
$(DEV): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(DEV)

install: $(STAMP)

install-dev: $(DEV)

run: $(STAMP)
	$(BIN)/telegemini run

sandbox: $(STAMP)
	$(BIN)/telegemini sandbox

migrate: $(STAMP)
	$(BIN)/telegemini migrate

lint: $(DEV)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(DEV)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

test: lint $(CHROMIUM)
	$(BIN)/pytest -q

unit: $(DEV)
	$(BIN)/pytest -q tests/unit

e2e: $(DEV)
	$(BIN)/pytest -q tests/e2e

browser: $(DEV) $(CHROMIUM)
	$(BIN)/pytest -q tests/browser

# Installed once (we are root on CI); without apt-get this fails loudly: the tests never skip.
$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "$(CHROMIUM) is missing and apt-get is not available: install Chromium for the browser tests" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation

bench: $(DEV)
	$(BIN)/python -m bench

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/pip install --quiet -e ".[dev]"
	.lockenv/bin/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
