# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORTAL_PORT ?= 5000
NPM_CI := npm ci --no-audit --no-fund --loglevel=error
export FLASK_APP := wsgi

.PHONY: run test install install-test assets test-assets translations messages bench

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

# The default theme's build (theme.toml, [assets]): KERN-UX cut to the classes the templates use,
# and Fira Sans Regular and SemiBold cut to the characters German and English text needs.
THEME := themes/default
FONT_SOURCE := $(THEME)/node_modules/@kern-ux/native/dist/fonts/fira-sans
FONT_CHARACTERS := U+0020-007E,U+00A0-00FF,U+0131,U+0152-0153,U+0160-0161,U+0178,U+017D-017E,$\
	U+1E9E,U+2009,U+2011,U+2013-2014,U+2018-201A,U+201C-201E,U+2022,U+2026,U+202F,U+2039-203A,$\
	U+20AC,U+2122,U+2190-2193
TEMPLATES := $(shell find portal themes -name '*.html' -not -path '*/node_modules/*')

$(THEME)/build/kern/kern.min.css: $(THEME)/node_modules/.package-lock.json $(THEME)/purgecss.config.cjs $(TEMPLATES) $(wildcard themes/*/static/js/*.js)
	mkdir -p $(@D) && cd $(THEME) && node_modules/.bin/purgecss --config purgecss.config.cjs

$(THEME)/build/fonts/%.woff2: $(THEME)/node_modules/.package-lock.json | $(VENV)/.installed
	@mkdir -p $(@D)
	$(BIN)/pyftsubset $(FONT_SOURCE)/$*.woff2 --unicodes="$(FONT_CHARACTERS)" --flavor=woff2 \
		--layout-features=kern,liga,locl,ccmp,mark,mkmk,calt --output-file=$@ 2>/dev/null

assets: $(THEME)/build/kern/kern.min.css $(THEME)/build/fonts/FiraSans-Regular.woff2 $(THEME)/build/fonts/FiraSans-SemiBold.woff2
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

## make bench: page weight, search, throughput (wrk), Postfach and submissions under load, one
## table at the end (benchmarks/run.py). Needs ../shared/data; PostgreSQL and Redis on loopback
## for the PostgreSQL rows and the submissions; wrk (Debian package) for the throughput.
## `make bench BENCH=bench_load` runs one.
bench: install-test assets translations
	$(BIN)/python benchmarks/run.py $(BENCH)
