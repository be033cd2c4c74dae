"""Landing safely: a file still being copied into the landing folder is left for a later run, which loads
it whole once it has stopped changing; names marking a copy in progress are never loaded."""

from __future__ import annotations

import os
import threading
import time

import pytest

from pipelines.ingest.loader import landing_entries, load_landing, prune_landing, settled
from pipelines.settings import Settings
from tests.conftest import query
from tests.test_ingest import CALLS_HEADER, MAPPINGS, con, write  # noqa: F401 (con is a fixture)

ROW = "K{:03d},2026-03-02T10:00:00+03:00,outbound,E1,C01,+74951230001,ANSWERED,180,meeting_agreed\n"


def age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_files_unchanged_for_the_quiet_period_are_ready_at_once(tmp_path):
    old = write(tmp_path, "calls.csv", CALLS_HEADER + ROW.format(1))
    age(old, 60)
    waits = []
    started = time.monotonic()
    assert settled([old], quiet_seconds=10, while_waiting=lambda: waits.append(1)) == ([old], [])
    assert time.monotonic() - started < 1
    assert waits == []  # nothing to wait for: the run does not start what waiting is used for


def test_a_young_file_is_looked_at_again_after_the_quiet_period(tmp_path):
    young = write(tmp_path, "calls.csv", CALLS_HEADER + ROW.format(1))
    waits = []
    started = time.monotonic()
    assert settled([young], quiet_seconds=1, while_waiting=lambda: waits.append(time.monotonic())) == ([young], [])
    assert time.monotonic() - started >= 0.9
    assert len(waits) == 1 and waits[0] - started < 0.5  # called once, before the wait


def test_a_file_being_written_is_left_for_a_later_run_which_loads_it_whole(con, tmp_path):  # noqa: F811
    landing = tmp_path / "landing"
    path = write(landing, "calls.csv", CALLS_HEADER + "".join(ROW.format(i) for i in range(50)))
    with path.open("a") as handle:
        handle.write("K050,2026-03-02T10:00:00+03:00,outbou")  # cut mid-row, as a copy in progress is

    def finish_copy():
        time.sleep(0.5)
        with path.open("a") as handle:
            handle.write("nd,E1,C01,+74951230001,ANSWERED,180,meeting_agreed\n")

    copier = threading.Thread(target=finish_copy)
    copier.start()
    report = load_landing(con, landing, MAPPINGS, quiet_seconds=1.5)
    copier.join()
    assert report.changing == ["calls.csv"] and not report.loads
    assert query(con, "SELECT count(*) FROM raw.calls") == [(0,)]
    # The next run, the copy complete and quiet: every row, none cut, none quarantined.
    age(path, 5)
    report = load_landing(con, landing, MAPPINGS, quiet_seconds=1.5)
    assert report.changing == [] and [(f.status, f.rows_loaded) for f in report.loads] == [("loaded", 51)]
    assert query(con, "SELECT count(*) FROM raw._quarantine") == [(0,)]


def test_names_that_mark_a_copy_in_progress_are_not_landed(tmp_path):
    for name in ("calls.csv.part", "calls.csv.tmp", ".calls.csv", "calls.csv.crdownload", "calls.csv"):
        write(tmp_path, name, CALLS_HEADER)
    assert [p.name for p in landing_entries(tmp_path)] == ["calls.csv"]


def test_the_quiet_period_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SALESFUNNEL_LANDING_QUIET_SECONDS", "30")
    assert Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb").landing_quiet_seconds == 30
    monkeypatch.setenv("SALESFUNNEL_LANDING_QUIET_SECONDS", "soon")
    with pytest.raises(ValueError, match="must be a number of seconds"):
        Settings(landing=tmp_path, warehouse=tmp_path / "w.duckdb")


def test_loaded_files_older_than_the_retention_are_deleted_and_nothing_else(con, tmp_path):  # noqa: F811
    landing = tmp_path / "landing"
    old = write(landing, "calls.csv", CALLS_HEADER + ROW.format(1))
    write(landing, "calls__recent.csv", CALLS_HEADER + ROW.format(2))
    broken = write(landing, "calls__broken.csv", "")  # rejected: kept for someone to fix
    stranger = write(landing, "notes.txt", "not a data file")  # rejected as unrecognised: kept
    for path in (old, broken, stranger):
        age(path, 40 * 86_400)
    report = load_landing(con, landing, MAPPINGS)
    assert prune_landing(landing, report, older_than_days=30) == ["calls.csv"]
    assert sorted(p.name for p in landing.iterdir()) == ["calls__broken.csv", "calls__recent.csv", "notes.txt"]
    assert query(con, "SELECT count(*) FROM raw.calls") == [(2,)]  # the deleted file's row stays loaded
    # The same content landed again later is recognised as loaded (skipped), and old enough it goes too.
    write(landing, "calls.csv", CALLS_HEADER + ROW.format(1))
    age(landing / "calls.csv", 40 * 86_400)
    assert prune_landing(landing, load_landing(con, landing, MAPPINGS), older_than_days=30) == ["calls.csv"]
