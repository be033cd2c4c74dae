"""A run killed with SIGKILL (out of memory, a killed container) during ingestion or during dbt, or
stopped with Ctrl-C during dbt: the published marts stay readable and as they were, no child process
outlives the run, nothing is loaded twice, and the next run gives exactly the marts of a run that was
never interrupted (docs/operations.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.canonical import TABLES
from pipelines.demo.generator import write_demo_data
from pipelines.runner import run_refresh
from pipelines.settings import REPO_ROOT, Settings
from tests.test_incremental_runs import split_into_deliveries

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find child processes")


@pytest.fixture(autouse=True)
def one_phone_key(monkeypatch):
    """Both warehouses hash phone numbers with one key (each would otherwise draw its own)."""
    monkeypatch.setenv("SALESFUNNEL_PHONE_KEY", "killed-equals-uninterrupted")


def mart_rows(warehouse: Path) -> dict[str, list]:
    """Every mart, every value exactly as stored (no rounding), rows sorted."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [n for (n,) in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'marts' ORDER BY 1").fetchall()]
        return {n: sorted(map(repr, con.execute(f"SELECT * FROM marts.{n}").fetchall())) for n in names}


def ledger_matches_raw(warehouse: Path) -> dict[str, tuple[int, int]]:
    """table -> (rows the ledger says were loaded, rows in the raw table), for every table."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: (con.execute("SELECT coalesce(sum(rows_loaded), 0) FROM raw._load_ledger "
                                "WHERE table_name = ? AND status = 'loaded'", [t]).fetchone()[0],
                    con.execute(f"SELECT count(*) FROM raw.{t}").fetchone()[0]) for t in TABLES}


def state_and_parent(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent id from /proc, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def children(pid: int, running: bytes) -> list[int]:
    """Live processes whose parent is `pid` and whose command line holds `running`."""
    found = []
    for entry in Path("/proc").iterdir():
        status = state_and_parent(int(entry.name)) if entry.name.isdigit() else None
        if status is not None and status[0] != "Z" and status[1] == pid:  # a zombie ("Z") has exited
            try:
                if running in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def start_cli_run(settings: Settings, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}  # an ephemeral Dagster instance
    return subprocess.Popen([sys.executable, "-m", "pipelines", "run", "--landing", str(settings.landing),
                             "--warehouse", str(settings.warehouse), "--log-level", "DEBUG"],
                            stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env)


def wait_for(condition, timeout: float = 180, every: float = 0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out")


def test_a_killed_run_leaves_the_published_marts_and_its_rerun_equals_an_uninterrupted_run(tmp_path):
    generated = tmp_path / "generated"
    write_demo_data(generated, scale=0.01, seed=7)
    first, second = tmp_path / "landing", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    split_into_deliveries(generated, first, second, cut="2026-04-01")
    settings = Settings(landing=first, warehouse=tmp_path / "w.duckdb")
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_refresh(settings, instance=instance).success
    published = settings.warehouse.read_bytes()
    before = mart_rows(settings.warehouse)
    for path in second.iterdir():
        path.rename(first / path.name)

    # Killed during ingestion: as soon as its first file is being loaded.
    log = tmp_path / "killed_in_ingestion.log"
    run = start_cli_run(settings, log)
    wait_for(lambda: 'Started execution of step "ingest_landing"' in log.read_text())
    time.sleep(0.3)
    os.kill(run.pid, signal.SIGKILL)
    assert 'Finished execution of step "ingest_landing"' not in log.read_text()
    run.wait()
    assert settings.warehouse.read_bytes() == published
    assert mart_rows(settings.warehouse) == before

    # Killed during dbt: once `dbt build` has rebuilt the staging models and works on the rest.
    log = tmp_path / "killed_in_dbt.log"
    run = start_cli_run(settings, log)
    wait_for(lambda: "OK created sql table model intermediate." in log.read_text())
    assert 'Finished execution of step "dbt_models"' not in log.read_text(), "dbt finished before it was killed"
    assert not children(run.pid, b"build"), "dbt runs inside the run's process: nothing to outlive it"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert settings.warehouse.read_bytes() == published
    assert mart_rows(settings.warehouse) == before

    # Stopped with Ctrl-C (SIGINT; the UI's "Terminate" is the same interrupt) during dbt: dbt, inside
    # the run's process, stops too: the run fails and its process ends, instead of waiting for dbt's build.
    log = tmp_path / "interrupted_in_dbt.log"
    run = start_cli_run(settings, log)
    wait_for(lambda: "OK created sql table model intermediate." in log.read_text())
    os.kill(run.pid, signal.SIGINT)
    assert run.wait(timeout=120) == 1
    text = log.read_text()
    assert "DagsterExecutionInterruptedError" in text and 'Finished execution of step "dbt_models"' not in text
    assert settings.warehouse.read_bytes() == published
    assert mart_rows(settings.warehouse) == before

    # The next run completes; the same files built in one uninterrupted run give exactly the same marts.
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_refresh(settings, instance=instance).success
        uninterrupted = Settings(landing=first, warehouse=tmp_path / "uninterrupted.duckdb")
        assert run_refresh(uninterrupted, instance=instance).success
    assert mart_rows(settings.warehouse) == mart_rows(uninterrupted.warehouse)
    assert mart_rows(settings.warehouse) != before
    for table, (ledger, raw) in ledger_matches_raw(settings.warehouse).items():
        assert ledger == raw, f"{table}: the ledger says {ledger} rows were loaded, raw.{table} holds {raw}"
    assert ledger_matches_raw(settings.warehouse) == ledger_matches_raw(uninterrupted.warehouse)
