"""Shared fixtures: the worked example of docs/metrics.md (tests/fixtures/worked_example), run once through
the real pipeline; and where the optional public data sets are (../shared/data, or SALESFUNNEL_SHARED)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.runner import run_refresh
from pipelines.settings import REPO_ROOT, Settings
from pipelines.transform.project import DBT_EXECUTABLE, dbt_project
from tests.smtp_sink import SmtpSink

# Tests land files and run at once: no waiting for files to stop changing (tests/test_landing.py tests that).
os.environ.setdefault("SALESFUNNEL_LANDING_QUIET_SECONDS", "0")

# pytest-xdist's workers run with a __main__ that has no __file__; pyspark (`make spark`) takes that for
# its own doctest runner and exits the worker when Great Expectations imports it.
if not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "<pytest-xdist worker>"

SHARED = Path(os.environ.get("SALESFUNNEL_SHARED", REPO_ROOT.parent / "shared"))
PUBLIC_DATA = SHARED / "data"  # public data sets, optional: the tests that read them skip without them
WORKED_EXAMPLE = REPO_ROOT / "tests" / "fixtures" / "worked_example"


def needs_public_data(*parts: str):
    """Skip a test module when the optional public data sets are not beside the repository."""
    where = PUBLIC_DATA.joinpath(*parts)
    return pytest.mark.skipif(not where.exists(), reason=f"the public data sets are not at {where}: set "
                                                         "SALESFUNNEL_SHARED to the folder holding data/")
WORKED_AS_OF = date(2026, 5, 31)


@pytest.fixture(scope="session")
def worked_settings(tmp_path_factory) -> Settings:
    warehouse = tmp_path_factory.mktemp("worked") / "warehouse.duckdb"
    return Settings(landing=WORKED_EXAMPLE, warehouse=warehouse, business_tz="Europe/Moscow", as_of=WORKED_AS_OF)


@pytest.fixture(scope="session")
def worked_run(worked_settings) -> dg.ExecuteInProcessResult:
    """The whole asset graph materialised in-process on the worked example."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_refresh(worked_settings, instance=instance)
    assert result.success, "the pipeline failed on the worked example"
    return result


@pytest.fixture(scope="session")
def warehouse(worked_run, worked_settings):
    with duckdb.connect(str(worked_settings.warehouse), read_only=True) as con:
        yield con


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.fixture
def sink(monkeypatch):
    """A local SMTP server the alerts are mailed to (SALESFUNNEL_SMTP_* point at it)."""
    with SmtpSink() as server:
        monkeypatch.setenv("SALESFUNNEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SALESFUNNEL_SMTP_PORT", str(server.port))
        monkeypatch.setenv("SALESFUNNEL_ALERT_TO", "sales-ops@example.com, analyst@example.com")
        monkeypatch.setenv("SALESFUNNEL_ALERT_FROM", "pipeline@example.com")
        yield server


def dbt_test(selection: str, warehouse: Path, target: Path) -> subprocess.CompletedProcess:
    """`dbt test --select selection` on the warehouse file, as a user runs it by hand (its output in
    stdout; the target and log folder under `target`)."""
    return subprocess.run(
        [DBT_EXECUTABLE, "test", "--select", selection,
         "--project-dir", str(dbt_project.project_dir), "--profiles-dir", str(dbt_project.profiles_dir),
         "--target-path", str(target), "--log-path", str(target)],
        env={**os.environ, "SALESFUNNEL_WAREHOUSE": str(warehouse), "SALESFUNNEL_DUCKDB_MEMORY": "1GB"},
        capture_output=True, text=True)
