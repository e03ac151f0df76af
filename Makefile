# Tablée: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := board:create_app()

.PHONY: run test install dev translations db demo lint bench screenshots run-cluster clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@

# axe-core for the accessibility checks, injected into pages by the browser tests.
AXE := tests/browser/.axe/node_modules/axe-core/axe.min.js
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-audit --no-fund --prefix tests/browser/.axe axe-core@4.14.1; \
	else echo "npm not found: the accessibility checks will be skipped"; fi

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

translations: install
	$(BIN)/pybabel compile --use-fuzzy -d translations -f

db: install
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask demo

run: translations demo
	$(BIN)/python wsgi.py

# In parallel, one worker per core (pytest-xdist): each has its own PostgreSQL database.
TEST_WORKERS ?= auto
test: dev translations $(AXE)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# Pictures of the pages for the README, made from the demo event by a real browser.
# Two gunicorn processes (one gevent worker each, ports 5001 and 5002) on the local
# PostgreSQL and Redis: see board/cluster.py for the settings it takes.
run-cluster: translations
	$(BIN)/python -m board.cluster

screenshots: dev translations
	$(BIN)/python -m tests.browser.screenshots

lint: dev
	$(BIN)/ruff check board tests bench wsgi.py

# Extract new UI text into the catalogues (then translate translations/en).
catalogues: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k _ln:1,2 -k lazy_ngettext:1,2 -o translations/messages.pot --no-location --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --omit-header --ignore-obsolete

# The benchmark (see bench/README.md): `make bench BENCH_ARGS="--help"` lists the modes.
bench: $(VENV)/.bench-installed translations
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
