# make run: set up .venv, migrate the database, serve on 127.0.0.1:$(PORT)
# make test: set up .venv with the test tools, run the suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
export PORT

.PHONY: install install-test run test bench lint clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/xmlapi init-db
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Two workers (each its own database) and a branch-coverage floor; PYTEST_ARGS adds to it.
COVERAGE_FLOOR ?= 95
test: install-test
	$(BIN)/pytest -n 2 --cov=xmlapi --cov-branch --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

# make bench: 10 000 products on SQLite (XMLAPI_BENCH_DATABASE_URL=postgresql+psycopg://...
# for PostgreSQL + Redis); BENCH_ARGS="--products 100000" for the big run. On PostgreSQL it
# also compares the two photo stores (bench/photo_stores.py).
bench: install-test
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.photo_stores

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
