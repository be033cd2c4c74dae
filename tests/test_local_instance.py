"""The local Dagster instance of the repository's dagster.yaml (`make run`, `make dev`, one machine): runs,
schedules and events in SQLite under SALESFUNNEL_DAGSTER_STORAGE, the events of every run in one file
(pipelines/dagster_storage.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from pipelines.publish import PUBLISHED_KEY
from pipelines.runner import run_refresh
from pipelines.settings import REPO_ROOT
from tests.test_pipeline_runs import worked_copy


def test_a_run_keeps_its_history_and_its_events_in_one_file(tmp_path, monkeypatch):
    home, storage = tmp_path / "dagster_home", tmp_path / "storage"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    for name, value in {"DAGSTER_HOME": home, "SALESFUNNEL_DAGSTER_STORAGE": storage,
                        "SALESFUNNEL_DAGSTER_LOGS": tmp_path / "logs"}.items():
        monkeypatch.setenv(name, str(value))
    with dg.DagsterInstance.get() as instance:
        result = run_refresh(worked_copy(tmp_path), instance=instance)
    assert result.success
    # Another process (the webserver, the daemon, the next run) finds the run, its events and its checks.
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(result.run_id).is_success
        assert instance.get_latest_materialization_event(PUBLISHED_KEY).run_id == result.run_id
        events = [entry.dagster_event for entry in instance.all_logs(result.run_id) if entry.dagster_event]
        assert len([e for e in events if e.event_type_value == "ASSET_CHECK_EVALUATION"]) > 200
        # One engine per process for every event, its connections syncing at checkpoints only.
        storage_of_events = instance.event_log_storage
        with storage_of_events.index_connection() as first, storage_of_events.run_connection(None) as second:
            assert first.engine is second.engine
            assert first.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert first.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # Whether a table exists is remembered once it does, asked again while it does not.
        assert storage_of_events.has_table("asset_check_executions")
        assert not storage_of_events.has_table("table_made_later")
        with storage_of_events.index_connection() as conn:
            conn.exec_driver_sql("CREATE TABLE table_made_later (x INTEGER)")
        assert storage_of_events.has_table("table_made_later")
        with storage_of_events.index_connection() as conn:
            conn.exec_driver_sql("DROP TABLE table_made_later")
    assert (storage / "history" / "events" / "event_log.db").is_file()
    assert not (storage / "history" / "runs").exists()  # no database per run
    # The upgrade step of docs/operations.md works on it too.
    migrate = subprocess.run([str(Path(sys.executable).parent / "dagster"), "instance", "migrate"],
                             env=os.environ, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr
