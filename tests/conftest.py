"""Shared fixtures: the worked example of ../shared/metrics.md, run once through the real pipeline."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.runner import run_refresh
from pipelines.settings import REPO_ROOT, Settings

SHARED = Path(os.environ.get("SALESFUNNEL_SHARED", REPO_ROOT.parent / "shared"))
WORKED_EXAMPLE = SHARED / "fixtures" / "worked_example"
WORKED_AS_OF = date(2026, 5, 31)


@pytest.fixture(scope="session")
def worked_settings(tmp_path_factory) -> Settings:
    if not WORKED_EXAMPLE.is_dir():
        pytest.fail(f"worked example not found at {WORKED_EXAMPLE}; set SALESFUNNEL_SHARED")
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
