# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORTAL_PORT ?= 5000
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
export FLASK_APP := wsgi

.PHONY: run test install install-test assets test-assets translations messages bench-catalog bench-postfach

## make run: install, migrate, load demo content, serve on http://127.0.0.1:$(PORTAL_PORT)
run: install assets translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@echo "Serviceportal läuft auf http://127.0.0.1:$(PORTAL_PORT) (Strg+C beendet)"
	PORTAL_PAYMENT_ROUTES="$${PORTAL_PAYMENT_ROUTES-form:bewohnerparkausweis=xbd:testdienst}" \
		$(BIN)/flask run --host 127.0.0.1 --port $(PORTAL_PORT)

## make test: lint, type check and the whole suite, browser tests included
test: install-test assets test-assets translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# npm ci writes node_modules/.package-lock.json: a stamp that is newer than the lock file.
themes/default/node_modules/.package-lock.json: themes/default/package-lock.json
	cd themes/default && $(NPM_CI)

tests/node_modules/.package-lock.json: tests/package-lock.json
	cd tests && $(NPM_CI)

assets: themes/default/node_modules/.package-lock.json
test-assets: tests/node_modules/.package-lock.json

MO_FILES := $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))
translations: $(MO_FILES)
portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations -l $* --statistics

## make messages: refresh the English catalogue after changing German texts
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d portal/translations --width 100
	rm messages.pot

## make bench-catalog: import, search and page throughput at full LeiKa scale (prints figures)
bench-catalog: install assets translations
	$(BIN)/python benchmarks/bench_catalog.py

## make bench-postfach: inbox latency with 10,000 messages (prints figures)
bench-postfach: install assets translations
	$(BIN)/python benchmarks/bench_postfach.py
