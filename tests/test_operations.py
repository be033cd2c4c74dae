"""Operating the warehouse while people read it: readers in other processes never fail and never see a
mix of two runs, a connection held open all day does not stop a run, runs queue on one lock, a run that
does not pass its blocking checks publishes nothing and people hear of it (docs/operations.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from expectations.suites import THRESHOLDS_FILE
from pipelines.alerts import alert_on_failed_run, alert_on_rejected_files
from pipelines.runner import run_refresh, step_timings
from pipelines.warehouse_copies import (
    STAGED_SUFFIX,
    connect_published,
    prepare_working_copy,
    publish,
    run_lock,
    work_path,
)
from tests.test_alerts import sensor_context
from tests.test_pipeline_runs import worked_copy

# A sales mart and an entity mart, each as (rows, sum of row hashes): the version a read saw.
VERSION_SQL = """
    SELECT (SELECT [count(*), sum(hash(k))] FROM marts.fct_process_kpis AS k),
           (SELECT [count(*), sum(hash(v))] FROM marts.fct_entity_identifier_verdicts AS v)"""

READER = """
import sys, time
from pathlib import Path
from pipelines.warehouse_copies import connect_published
path, stop, out, mode = sys.argv[1:5]
sql = sys.argv[5]
with open(out, "a") as log:
    held = None
    while not Path(stop).exists():
        try:
            if mode == "hold":  # one connection, opened once there is a file, kept to the end
                held = held or (connect_published(path) if Path(path).exists() else None)
                version = held.execute(sql).fetchone() if held else "absent"
            elif Path(path).exists():
                with connect_published(path) as con:
                    version = con.execute(sql).fetchone()
            else:
                version = "absent"  # before the first publication there is nothing to read
            log.write("ok " + repr(version) + "\\n")
        except Exception as exc:
            log.write("error " + repr(exc).replace("\\n", " ") + "\\n")
        log.flush()
        time.sleep(0.05 if mode == "poll" else 0.5)
"""


def version(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return repr(con.execute(VERSION_SQL).fetchone())


def start_reader(warehouse: Path, stop: Path, out: Path, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(stop), str(out), mode, VERSION_SQL])


def test_readers_never_fail_and_never_see_a_mix_while_runs_write(tmp_path, sink):
    """Readers in other processes through a first run and a rerun with new data (the first run waits for
    another holder of the run lock; a rejected file is alerted about once): every read succeeds and sees
    one published version."""
    settings = worked_copy(tmp_path)
    (settings.landing / "calls__empty.csv").write_bytes(b"")  # rejected: an alert, once
    stop = tmp_path / "stop"
    polling, holding = tmp_path / "polling.log", tmp_path / "holding.log"
    readers = [start_reader(settings.warehouse, stop, polling, "poll"),
               start_reader(settings.warehouse, stop, holding, "hold")]
    released, held = [], threading.Event()

    def another_run():
        with run_lock(settings.warehouse, "another run", print):
            held.set()
            time.sleep(3)
            released.append(time.time())

    try:
        holder = threading.Thread(target=another_run)
        holder.start()
        held.wait()
        with dg.DagsterInstance.ephemeral() as instance:
            first = run_refresh(settings, instance=instance)
            steps = step_timings(instance, first.run_id)
            with sensor_context(instance, first.run_id, "PIPELINE_SUCCESS", settings) as context:
                alert_on_rejected_files(context)
            holder.join()
            before = version(settings.warehouse)
            time.sleep(1.5)  # the holding reader opens the first version
            # New sales rows and a new identifier observation: both marts change.
            (settings.landing / "calls__new.csv").write_text(
                "call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome\n"
                "K950,2026-05-20T10:00:00+03:00,outbound,E1,C16,+74951230016,ANSWERED,60,refused\n")
            (settings.landing / "entity_identifiers__new.csv").write_text(
                "client_id,id_type,id_value,source,observed_at\nC02,INN,7736050003,registry,2026-05-30\n")
            rerun = run_refresh(settings, instance=instance)
            with sensor_context(instance, rerun.run_id, "PIPELINE_SUCCESS", settings) as context:
                alert_on_rejected_files(context)  # the same empty file, rejected again: not news
            time.sleep(1.5)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=30)
    assert first.success and rerun.success
    assert min(step["start"] for step in steps.values()) >= released[0]  # it waited for the lock
    after = version(settings.warehouse)
    assert after != before
    for log in (polling, holding):
        lines = log.read_text().splitlines()
        assert lines and not [line for line in lines if line.startswith("error")]
        assert {line[3:] for line in lines} <= {"'absent'", before, after}
    assert {line[3:] for line in polling.read_text().splitlines()} == {"'absent'", before, after}
    # The connection held open since the first publication reads that version to the end.
    assert {line[3:] for line in holding.read_text().splitlines()} - {"'absent'"} == {before}
    # The rejected file reached people once.
    [mail] = sink.messages
    assert "succeeded, with problems" in mail["Subject"]
    assert "file rejected: calls__empty.csv: empty file (0 bytes)" in mail.get_payload(decode=True).decode()


def test_a_blocked_run_publishes_nothing_and_raises_an_alert(tmp_path, monkeypatch, sink):
    settings = worked_copy(tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_refresh(settings, instance=instance).success
        published = version(settings.warehouse)
        published_bytes = settings.warehouse.read_bytes()
        # Identifier collisions (the worked example has one) become an ERROR, and a new call lands.
        config = yaml.safe_load(THRESHOLDS_FILE.read_text())
        config["entity_identifiers"]["no_collisions"]["severity"] = "ERROR"
        strict = tmp_path / "strict.yml"
        strict.write_text(yaml.safe_dump(config))
        monkeypatch.setenv("SALESFUNNEL_EXPECTATIONS", str(strict))
        (settings.landing / "calls__new.csv").write_text(
            "call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome\n"
            "K950,2026-05-20T10:00:00+03:00,outbound,E1,C16,+74951230016,ANSWERED,60,refused\n")
        blocked = run_refresh(settings, instance=instance)
        with sensor_context(instance, blocked.run_id, "PIPELINE_FAILURE", settings) as context:
            alert_on_failed_run(context.for_run_failure())
    assert not blocked.success
    assert settings.warehouse.read_bytes() == published_bytes  # the last good version, untouched
    assert version(settings.warehouse) == published
    # The run built the sales marts in its working copy: the next run that passes publishes them.
    assert version(work_path(settings.warehouse)) != published
    materialised = json.dumps([e.asset_key.to_user_string() for e in blocked.get_asset_materialization_events()])
    assert "published/warehouse" not in materialised
    # People hear of it: one alert in the log and one e-mail, with the check that failed.
    expected = "check failed: quality/expectation_results:entity_identifiers__no_collisions (ERROR)"
    log = (settings.warehouse.parent / "logs" / "alerts.log").read_text()
    assert f"run {blocked.run_id[:8]} of refresh_all failed" in log and expected in log
    [mail] = sink.messages
    assert mail["To"] == "sales-ops@example.com, analyst@example.com" and mail["From"] == "pipeline@example.com"
    assert "failed" in mail["Subject"] and expected in mail.get_payload(decode=True).decode()


def test_publishing_renames_the_working_copy_and_copies_it_back(tmp_path):
    published = tmp_path / "w.duckdb"
    with duckdb.connect(str(work_path(published))) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS v")
    publish(published)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("SELECT v FROM t").fetchall() == [(1,)]
    assert work_path(published).read_bytes() == published.read_bytes()  # the next run's working copy
    # A run killed while copying back left a half copy and no working copy: the next run cleans up and
    # makes one; a half-made publication from before is removed too.
    work_path(published).unlink()
    leftovers = [tmp_path / f".w.work.duckdb.99{STAGED_SUFFIX}", tmp_path / f".w.duckdb.98{STAGED_SUFFIX}"]
    for leftover in leftovers:
        leftover.write_bytes(b"half")
    assert prepare_working_copy(published) == work_path(published)
    assert work_path(published).read_bytes() == published.read_bytes()
    assert not any(leftover.exists() for leftover in leftovers)


def one_value_file(path: Path, value: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE t AS SELECT {value} AS v")
    return path


@pytest.mark.parametrize("connect_fails", [True, False], ids=["failed", "seemed to work"])
def test_a_reader_connecting_while_a_run_publishes_connects_again(tmp_path, monkeypatch, connect_fails):
    """DuckDB opens the file by path more than once while it connects, so a publication in between could
    pair the old file's header with the new file's blocks. The reader sees that the path changed under
    its connect and connects again, to the new version, whether that connect failed or seemed to work."""
    published = one_value_file(tmp_path / "w.duckdb", 1)
    newer = one_value_file(tmp_path / "newer.duckdb", 2)
    real_connect, connects = duckdb.connect, []

    def publishing_connect(path, *args, **kwargs):
        connects.append(path)
        if len(connects) > 1:
            return real_connect(path, *args, **kwargs)
        if connect_fails:
            os.replace(newer, published)
            raise duckdb.IOException("IO Error: No more data remaining in MetadataReader")
        con = real_connect(path, *args, **kwargs)  # the old version ...
        os.replace(newer, published)  # ... and then the path changed
        return con

    monkeypatch.setattr(duckdb, "connect", publishing_connect)
    with connect_published(published) as con:
        assert con.execute("SELECT v FROM t").fetchall() == [(2,)]
    assert connects == [str(published)] * 2


def test_a_reader_gets_the_real_error_when_nothing_was_published(tmp_path):
    with pytest.raises(duckdb.IOException, match="does not exist"):
        connect_published(tmp_path / "never_published.duckdb")
    (tmp_path / "not_a_warehouse.duckdb").write_text("call_id,started_at\n")
    with pytest.raises(duckdb.IOException, match="not a valid DuckDB database file"):
        connect_published(tmp_path / "not_a_warehouse.duckdb")
