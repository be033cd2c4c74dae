"""The project's own generic data test not_null_columns (dbt_project/tests/generic) on the worked
example: it passes on what the pipeline built and fails on each NULL planted, per column."""

from __future__ import annotations

import json
import shutil

import duckdb

from pipelines.transform.project import dbt_project, ensure_manifest
from tests.conftest import dbt_test


def test_required_columns_are_declared_one_way():
    """A model's or seed's NULL-free columns are one not_null_columns test named not_null_<model>: dbt's
    not_null is a node per column, and each node costs a run 30-50 ms whatever it reads."""
    manifest = json.loads(ensure_manifest(dbt_project).read_text())
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    kinds = [(node.get("test_metadata") or {}).get("name") for node in tests]
    assert "not_null" not in kinds
    required = [node for node, kind in zip(tests, kinds, strict=True) if kind == "not_null_columns"]
    assert len(required) > 40
    for node in required:
        assert node["name"] == "not_null_" + node["attached_node"].split(".")[-1]
        assert node["test_metadata"]["kwargs"]["columns"]


def test_not_null_columns_fails_on_each_planted_null(worked_run, worked_settings, tmp_path):
    work = tmp_path / "warehouse.duckdb"
    shutil.copy(worked_settings.warehouse, work)

    selection = "not_null_dim_clients not_null_fct_process_kpis"

    passed = dbt_test(selection, work, tmp_path / "target")
    assert passed.returncode == 0, passed.stdout
    assert "PASS not_null_dim_clients" in passed.stdout
    with duckdb.connect(str(work)) as con:
        con.execute("UPDATE marts.dim_clients SET last_meeting_band = NULL WHERE client_id IN ('C01', 'C02')")
        con.execute("UPDATE marts.dim_clients SET client_id = NULL WHERE client_id = 'C03'")
    failed = dbt_test(selection, work, tmp_path / "target")
    assert failed.returncode == 1
    assert "FAIL 3 not_null_dim_clients" in failed.stdout  # three NULL values in two columns
    assert "PASS not_null_fct_process_kpis" in failed.stdout
