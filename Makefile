# The two commands of the README: `make run` (set up from nothing and build every mart on demo data)
# and `make test`. Everything else here serves those two.

PYTHON ?= python3.11
SCALE ?= 1
SEED ?= 42
VENV := .venv
BIN := $(VENV)/bin
LANDING := data/landing
WAREHOUSE := data/warehouse.duckdb
UV_VERSION := 0.13.9

export DAGSTER_HOME := $(CURDIR)
export SALESFUNNEL_DAGSTER_STORAGE := $(CURDIR)/data/dagster/storage
export SALESFUNNEL_DAGSTER_LOGS := $(CURDIR)/data/dagster/logs
export SALESFUNNEL_LANDING := $(CURDIR)/$(LANDING)
export SALESFUNNEL_WAREHOUSE := $(CURDIR)/$(WAREHOUSE)
# uv compiles no bytecode by default and this environment forbids writing it at import time:
# without it every Dagster run imports twice as slowly.
export UV_COMPILE_BYTECODE := 1

.PHONY: run test dev demo bench lint lock clean chromium postgres spark test-spark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(LANDING)/.generated: | $(VENV)/.installed
	$(BIN)/python -m pipelines generate --scale $(SCALE) --seed $(SEED) --out $(LANDING)
	touch $@

demo: $(LANDING)/.generated

run: $(VENV)/.installed demo
	$(BIN)/python -m pipelines run --landing $(LANDING) --warehouse $(WAREHOUSE)
	@echo
	@echo "Warehouse: $(CURDIR)/$(WAREHOUSE)  (marts in schema 'marts'; e.g. $(BIN)/python -c \"import duckdb; print(duckdb.connect('$(WAREHOUSE)', read_only=True).sql('from marts.fct_process_kpis limit 5'))\")"
	@echo "Report:    $(CURDIR)/data/reports/latest.html"
	@echo "Dagster UI: make dev, then open http://127.0.0.1:3000 (this run is in its history)"

dev: $(VENV)/.installed
	mkdir -p $(LANDING)
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg dev -p 3000

# The browser test of the report renders the HTML in Debian's chromium (playwright drives it; it downloads
# no browser). Without chromium that test is skipped; CI installs it and requires it.
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# The deployment test keeps Dagster's storage in a real PostgreSQL server (tests/postgres_server.py starts
# Debian's in a temporary folder). Without it that test is skipped; CI installs it and requires it.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }

# Two worker processes (pytest-xdist), a test file each at a time: module fixtures are built once, and
# the end-to-end runs, mostly one core each, use both of the reference machine's cores.
test: lint
	$(BIN)/python -m pytest -q --durations=15 -n 2 --dist loadfile

# The Spark engine (docs/scale-out.md): Java 17 from Debian and pyspark, a source package pip builds in
# about a minute (requirements-spark.lock: the default install plus dbt-spark and pyspark).
spark: $(VENV)/.installed
	@java -version 2>&1 | grep -q 'version "\(1[7-9]\|2[0-9]\)' || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; }
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-spark.lock

# The same marts from a local Spark session as from DuckDB (tests/test_spark_engine.py).
test-spark: spark
	$(BIN)/python -m pytest -q -m spark --durations=5 -n 2

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py --scale $(SCALE) --seed $(SEED)

# Python by ruff; the dbt models and data tests by sqlfluff, rendered through dbt (.sqlfluff). Rendering
# opens the profile's DuckDB but queries nothing: an in-memory one, so a running job's lock is no matter.
lint: $(VENV)/.installed
	$(BIN)/ruff check pipelines expectations dashboards tests benchmarks
	SALESFUNNEL_WAREHOUSE=:memory: SALESFUNNEL_DUCKDB_MEMORY=1GB $(BIN)/sqlfluff lint dbt_project/models dbt_project/tests --processes 2 --disable-progress-bar

lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev pyproject.toml -o requirements.lock
	$(BIN)/uv pip compile --quiet --python-version 3.11 --extra dev --extra spark pyproject.toml -o requirements-spark.lock

# Keeps data/landing: files you dropped there are yours (rm -rf data/landing to regenerate the demo).
clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
	find data -mindepth 1 -maxdepth 1 ! -name landing -exec rm -rf {} + 2>/dev/null || true
