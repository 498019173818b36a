# make run: set up .venv, migrate the database, serve on 127.0.0.1:$(PORT)
# make test: set up .venv with the test tools, run the suite
# make lock: refresh requirements/constraints.txt (every install is pinned by it)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
export PORT
CONSTRAINTS := requirements/constraints.txt
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS)

.PHONY: install install-test browser run test bench bench-ops bench-pages lint lock check-lock clean

$(VENV)/.installed: setup.cfg pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP_INSTALL) -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/xmlapi init-db
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# The browser tests drive Debian's headless chromium (CI runs as root and gets it here).
browser:
	@test -x /usr/bin/chromedriver || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }

# Two workers (each its own database) and a branch-coverage floor; PYTEST_ARGS adds to it.
# --dist loadgroup: a module that shares one gunicorn between its tests (xdist_group)
# runs on one worker, so the server starts once. Bytecode is cached (__pycache__, ignored
# by git) even where the environment says PYTHONDONTWRITEBYTECODE: otherwise every
# process of the run (each worker, each gunicorn and subprocess the tests start) compiles
# the package again, 1 to 3 CPU seconds each.
COVERAGE_FLOOR ?= 95
test: install-test browser
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n 2 --dist loadgroup \
		--cov=xmlapi --cov-branch --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

# make bench: 10 000 products on SQLite (XMLAPI_BENCH_DATABASE_URL=postgresql+psycopg://...
# for PostgreSQL + Redis); BENCH_ARGS="--products 100000" for the big run. On PostgreSQL it
# also compares the two photo stores (bench/photo_stores.py). bench.production prints the
# production profile (issue 16): one gunicorn sync worker, wrk -c4, ceilings in the same run.
bench: install-test
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.production
	$(BIN)/python -m bench.photo_stores
	$(BIN)/python -m bench.feed_cost

# make bench-ops: 100 000 CSV rows imported and exported on SQLite; what request ids,
# access lines and metrics cost a request.
bench-ops: install-test
	$(BIN)/python -m bench.import_export $(BENCH_ARGS)
	$(BIN)/python -m bench.request_overhead
	$(BIN)/python -m bench.pim_tree

# make bench-pages: server time of the back office's product list page of 50.
bench-pages: install-test
	$(BIN)/python -m bench.pages

# The newest releases setup.cfg's bounds allow, pinned; then stamped with the digest of
# setup.cfg's requirements, which check-lock (CI) compares.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check pip-tools
	$(BIN)/pip-compile --quiet --upgrade --extra test --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file $(CONSTRAINTS) setup.cfg
	$(BIN)/python scripts/lock.py --stamp

check-lock:
	$(PYTHON) scripts/lock.py --check

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
