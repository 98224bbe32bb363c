# clinicbot: `make run` to try it, `make test` to check it, `make bench` to measure it.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-from-lock

.PHONY: install run test lint format bench lock clean browser messages

## install: create or refresh .venv from requirements-dev-lock.txt, the runtime lock plus the
## test and development tools (nothing is resolved); then the console's translations
install: $(STAMP) messages

$(STAMP): requirements-lock.txt requirements-dev-lock.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: clinicbot needs Python 3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-dev-lock.txt
	@touch $(STAMP)

## messages: compile the console's translations (locale/*/LC_MESSAGES/django.po to the git-ignored
## .mo beside each) with Babel, those whose .po changed since; `makemessages` updates the .po
messages: $(STAMP)
	@$(BIN)/python -m clinicbot.catalogs

## run: a development server on http://127.0.0.1:8000 with the demo clinic
run: install
	@scripts/run-dev

## test: ruff, then the whole suite against real PostgreSQL and Redis
test: install lint browser
	@scripts/with-test-services $(BIN)/python -m pytest $(PYTEST_ARGS)

## browser: Debian's Chromium for the browser tests, when missing and apt-get is ours to use;
## never fails (without it the browser tests skip, saying why)
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } \
	  || echo "Chromium not installed (apt-get unavailable or not root): browser tests will skip"

## lint: ruff, and the import contracts between the rooms (pyproject.toml, [tool.importlinter])
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench: the benchmarks; results go to BENCHMARKS.md
bench: install
	@scripts/with-test-services $(BIN)/python -m bench.run

## lock: regenerate both locks: requirements-lock.txt (runtime, what the image installs) from
## requirements.in, then requirements-dev-lock.txt from requirements-dev.in constrained to the
## runtime lock, so a package in both has one version. uv keeps the versions already pinned in
## each output file; only new or changed requirements are resolved afresh.
lock:
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile requirements.in --python-version 3.11 --generate-hashes -o requirements-lock.txt
	$(BIN)/uv pip compile requirements-dev.in -c requirements-lock.txt --python-version 3.11 --generate-hashes -o requirements-dev-lock.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
