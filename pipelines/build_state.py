"""What the published assets were last built from, so that a run finding nothing new rebuilds nothing.

Every asset downstream of ingestion is a function of three things: the data loaded so far (the ledger),
the run's settings (time zone, as-of date, phone region) and the code and configuration that turn data
into marts (the dbt project, the Python packages, the expectation thresholds, the report settings, the
library versions). Their fingerprint is recorded when a run has built everything; a later run whose
fingerprint is the same would rebuild the same marts, so its ingestion step yields nothing and Dagster
skips every step after it. Anything new (a file with new rows, a changed mapping, seed or model, another
as-of date) changes the fingerprint and the run builds as usual; `rebuild` forces a build regardless.

The incremental dbt models (macros/incremental.sql) keep what earlier runs built and take in only new
loads. That equals a rebuild while what turns raw rows into theirs is unchanged: the code and
configuration, the libraries, the time zone, the engine and the phone settings (the hash key). That
is each model's basis, kept per model; a dbt step rebuilds its incremental models in full when the
basis of one of them has changed (pipelines/transform/assets.py). Beside it, the last load the build took
in and its as-of date: the event models rebuild the subjects changed since (int_changed_subjects), the
KPI periods the days they touch (int_changed_event_days). Those lists hold for every incremental model
only when they were all built together: otherwise (built apart, or a selection without the lists) the
dbt step rebuilds them in full.

A staging table (pipelines/transform/unchanged.py) is a function of its raw tables and the same basis:
beside its basis, the state of the raw tables it read is recorded, and a run whose raw tables and basis
are as recorded leaves it as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

import duckdb

from pipelines.ingest.loader import REJECTED_FILES_SQL
from pipelines.settings import REPO_ROOT

STATE_TABLE = "raw._build_state"
BASIS_TABLE = "raw._incremental_basis"
INPUTS_TABLE = "raw._table_inputs"
# raw.phone_numbers is not loaded: a value's row is added when a load of calls or clients first brings it
# (pipelines/ingest/phones.py) and all of them are made again when the phone settings change, which are
# part of the basis. What a table reads of it changes with those loads and the basis only.
DERIVED_SOURCES = frozenset({"raw.phone_numbers"})
# The code and configuration the marts depend on (dbt's target/ and logs/ are outputs, not inputs).
CODE_FOLDERS = ("pipelines", "expectations", "dashboards", "sources", "dbt_project/models",
                "dbt_project/macros", "dbt_project/seeds", "dbt_project/tests")
CODE_FILES = ("dbt_project/dbt_project.yml", "dbt_project/profiles.yml")
CONFIG_ENV = ("SALESFUNNEL_EXPECTATIONS", "SALESFUNNEL_REPORT_CONFIG")  # settings files kept outside
LIBRARIES = ("duckdb", "dbt-core", "dbt-duckdb", "great-expectations", "plotly", "python-stdnum", "phonenumbers")


def _code_digest() -> str:
    digest = hashlib.blake2b(digest_size=16)
    files = [REPO_ROOT / f for f in CODE_FILES]
    for folder in CODE_FOLDERS:
        files += sorted(p for p in (REPO_ROOT / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    files += [Path(os.environ[name]) for name in CONFIG_ENV if os.environ.get(name)]
    for path in files:
        digest.update(str(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path).encode())
        digest.update(path.read_bytes() if path.exists() else b"<absent>")
    return digest.hexdigest()


def _data_state(con: duckdb.DuckDBPyConnection) -> list:
    """The loaded data, by the ledger: loads that changed a raw table or the quarantine, and the files
    rejected as they stand (a rejected file retried unchanged changes nothing)."""
    loaded = con.execute("""
        SELECT count(*), coalesce(max(load_id), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_quarantined), 0)
        FROM raw._load_ledger WHERE status = 'loaded'""").fetchone()
    rejected = con.execute(f"{REJECTED_FILES_SQL} ORDER BY file_name").fetchall()
    return [list(loaded), [name for (name,) in rejected]]


def fingerprint(con: duckdb.DuckDBPyConnection, settings: dict[str, str | None]) -> str:
    """The fingerprint of what the assets would be built from now; settings: the run's, by name."""
    return _digest({"data": _data_state(con), "settings": settings, **_code_and_libraries()})


def _code_and_libraries() -> dict:
    return {"code": _code_digest(), "libraries": {name: metadata.version(name) for name in LIBRARIES}}


def _digest(value) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()


def _table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, name]).fetchone()[0])


def incremental_basis(con: duckdb.DuckDBPyConnection, settings: dict[str, str | None]) -> str:
    """The basis of the incremental models now. The as-of date is not part of it: they hold every row
    loaded, and the as-of date cuts downstream (an analyst's as-of run must not rebuild them)."""
    phones = (con.execute("SELECT DISTINCT settings_id FROM raw.phone_numbers ORDER BY 1").fetchall()
              if _table_exists(con, "raw.phone_numbers") else [])
    return _digest({"settings": {k: v for k, v in settings.items() if k != "as_of_date"},
                    "phone_settings": [s for (s,) in phones], **_code_and_libraries()})


def models_on_another_basis(con: duckdb.DuckDBPyConnection, models: list[str], basis: str) -> list[str]:
    """The models (dbt unique ids) last built on another basis than `basis`, or never recorded."""
    held = (dict(con.execute(f"SELECT model, basis FROM {BASIS_TABLE}").fetchall())
            if _table_exists(con, BASIS_TABLE) else {})
    return [m for m in models if held.get(m) != basis]


def built_apart(con: duckdb.DuckDBPyConnection, models: list[str]) -> bool:
    """Whether the last builds of `models` (those recorded) took in different loads or used different
    as-of dates: a run built some without the others, and what changed since each is no longer one list
    (int_changed_subjects, int_changed_event_days)."""
    if not _table_exists(con, BASIS_TABLE) or not models:
        return False
    placeholders = ", ".join("?" for _ in models)
    return con.execute(f"SELECT count(DISTINCT (through_load, as_of_date)) > 1 FROM {BASIS_TABLE} "
                       f"WHERE model IN ({placeholders})", models).fetchone()[0]


def ensure_basis_table(con: duckdb.DuckDBPyConnection) -> None:
    """The table exists before dbt runs: it is a dbt source (Spark copies every source)."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {BASIS_TABLE} (model VARCHAR PRIMARY KEY, basis VARCHAR, "
                "built_at TIMESTAMPTZ)")
    for column, sql_type in (("through_load", "BIGINT"), ("as_of_date", "DATE")):
        con.execute(f"ALTER TABLE {BASIS_TABLE} ADD COLUMN IF NOT EXISTS {column} {sql_type}")


def last_load(con: duckdb.DuckDBPyConnection) -> int:
    """The latest load in the ledger: a build started now takes in every load up to it."""
    return con.execute("SELECT coalesce(max(load_id), 0) FROM raw._load_ledger").fetchone()[0]


def record_basis(con: duckdb.DuckDBPyConnection, models: list[str], basis: str, through_load: int) -> None:
    """After a successful build of `models`: their basis, the last load it took in and the as-of date
    it used (int_as_of, which every build of the sales models makes)."""
    ensure_basis_table(con)
    as_of = (con.execute("SELECT max(as_of_date) FROM intermediate.int_as_of").fetchone()[0]
             if _table_exists(con, "intermediate.int_as_of") else None)
    for model in models:
        con.execute(f"INSERT OR REPLACE INTO {BASIS_TABLE} (model, basis, built_at, through_load, as_of_date) "
                    "VALUES (?, ?, now(), ?, ?)", [model, basis, through_load, as_of])


def last_build(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(fingerprint, run id) of the last run that built everything, if any."""
    if not _table_exists(con, STATE_TABLE):
        return None
    return con.execute(f"SELECT fingerprint, run_id FROM {STATE_TABLE} ORDER BY built_at DESC LIMIT 1").fetchone()


def record_build(con: duckdb.DuckDBPyConnection, value: str, run_id: str) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} "
                "(fingerprint VARCHAR, run_id VARCHAR, built_at TIMESTAMPTZ)")
    con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?, now())", [value, run_id])


def loaded_tables_states(con: duckdb.DuckDBPyConnection, reads: dict[str, list[str]]) -> dict[str, str]:
    """For each model (dbt unique id -> the raw tables it reads, as schema.table), the state of those
    tables: the rows and the last load of each, read once per table. Raw rows are never deleted and load
    ids only grow, so any load into one of them changes it. A model reading a table that is neither
    loaded (a `_load_id` column) nor derived from loads is left out: it is always rebuilt."""
    marks = {table: _load_mark(con, table)
             for table in sorted({t for tables in reads.values() for t in tables} - DERIVED_SOURCES)}
    states = {}
    for model, tables in reads.items():
        own = {table: marks[table] for table in tables if table not in DERIVED_SOURCES}
        if None not in own.values():
            states[model] = _digest(own)
    return states


def _load_mark(con: duckdb.DuckDBPyConnection, table: str) -> tuple | None:
    """(rows, last load) of a loaded raw table; None when it has no `_load_id` column."""
    schema, name = table.split(".")
    loaded = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_schema = ? "
                         "AND table_name = ? AND column_name = '_load_id'", [schema, name]).fetchone()[0]
    return con.execute(f"SELECT count(*), coalesce(max(_load_id), 0) FROM {table}").fetchone() if loaded else None


def unchanged_since(con: duckdb.DuckDBPyConnection, states: dict[str, tuple[str, str]], basis: str) -> dict:
    """Of the models (dbt unique id -> (state of their raw tables, their table as schema.table)), those
    last built from the same raw tables on the same basis whose table is there, with when that was."""
    if not _table_exists(con, INPUTS_TABLE):
        return {}
    held = {model: (inputs, held_basis, built_at) for model, inputs, held_basis, built_at
            in con.execute(f"SELECT model, inputs, basis, built_at FROM {INPUTS_TABLE}").fetchall()}
    return {model: held[model][2] for model, (inputs, table) in states.items()
            if model in held and held[model][:2] == (inputs, basis) and _table_exists(con, table)}


def record_inputs(con: duckdb.DuckDBPyConnection, states: dict[str, str], basis: str) -> None:
    """After a successful build of the models (dbt unique id -> state of their raw tables before it)."""
    if not states:
        return
    con.execute(f"CREATE TABLE IF NOT EXISTS {INPUTS_TABLE} (model VARCHAR PRIMARY KEY, inputs VARCHAR, "
                "basis VARCHAR, built_at TIMESTAMPTZ)")
    for model, inputs in states.items():
        con.execute(f"INSERT OR REPLACE INTO {INPUTS_TABLE} VALUES (?, ?, ?, now())", [model, inputs, basis])
