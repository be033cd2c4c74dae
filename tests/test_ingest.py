"""Ingestion on a real DuckDB file: ledger, duplicates, quarantine, row accounting, formats."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.ingest.loader import connect, load_file, load_landing, route
from pipelines.ingest.mappings import MappingSet, source_locations
from tests.conftest import WORKED_EXAMPLE, query

MAPPINGS = MappingSet.load(source_locations())

CALLS_HEADER = "call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome\n"


@pytest.fixture
def con(tmp_path) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "w.duckdb", "Europe/Moscow")
    yield con
    con.close()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_files(con, table: str, paths: list[Path]):
    """Load files the way a run does, returning the loads of `table`."""
    return [load for path in paths for load in load_file(con, path, MAPPINGS) if load.table in (table, None)]


def test_canonical_file_names_route_to_their_table(tmp_path):
    names = ("calls.csv", "calls__2026-03.csv", "calls.parquet", "CALLS.CSV", "callsX.csv", "calls.txt",
             "clients.csv", "calls (1).csv")
    routed = {name: [t for m in route(tmp_path / name, MAPPINGS) for t in m.table_names()] for name in names}
    assert routed == {"calls.csv": ["calls"], "calls__2026-03.csv": ["calls"], "calls.parquet": ["calls"],
                      "CALLS.CSV": ["calls"], "callsX.csv": [], "calls.txt": ["calls"], "clients.csv": ["clients"],
                      "calls (1).csv": []}


def test_broken_rows_are_quarantined_with_file_line_and_reason(con, tmp_path):
    path = write(tmp_path, "calls.csv", CALLS_HEADER + "\n".join([
        "K1,2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,ANSWERED,10,meeting_agreed",  # line 2: good
        ",2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,ANSWERED,10,",                  # 3: missing key
        "K3,02/30/2026 10:00,outbound,E1,C1,+7,ANSWERED,10,",                         # 4: bad timestamp
        "K4,2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,CONGESTION,0,",                # 5: unknown disposition
        "K5,2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,ANSWERED",                     # 6: too few columns
        "K6,2026-03-02T10:00:00+03:00,sideways,E1,C1,+7,NO ANSWER,0,refused",          # 7: two problems
        "K7,2026-03-02 10:00:00,OUTBOUND,E1,C1,+7,answered,12,",                       # 8: good, normalised
    ]) + "\n")
    [load] = load_files(con, "calls", [path])
    assert (load.rows_in, load.rows_loaded, load.rows_duplicate, load.rows_quarantined) == (7, 2, 0, 5)
    reasons = dict(query(con, "SELECT line, reason FROM raw._quarantine ORDER BY line"))
    assert reasons[3] == "missing call_id"
    assert reasons[4] == "bad timestamp in started_at: 02/30/2026 10:00"
    assert reasons[5] == "unknown disposition: CONGESTION"
    assert "MISSING COLUMNS" in reasons[6]
    assert reasons[7] == "unknown direction: sideways; outcome on a call that was not answered"
    loaded = query(con, "SELECT call_id, _line, direction, disposition, CAST(started_at AS VARCHAR) FROM raw.calls "
                        "ORDER BY call_id")
    # A time without offset is business-local (Moscow, UTC+3); storage is UTC.
    assert loaded == [("K1", 2, "outbound", "ANSWERED", "2026-03-02 07:00:00"),
                      ("K7", 8, "outbound", "ANSWERED", "2026-03-02 07:00:00")]


def test_same_file_twice_changes_nothing(con, tmp_path):
    path = shutil.copy(WORKED_EXAMPLE / "calls.csv", tmp_path / "calls.csv")
    first = load_files(con, "calls", [Path(path)])
    before = query(con, "SELECT * FROM raw.calls ORDER BY call_id")
    second = load_files(con, "calls", [Path(path)])
    assert first[0].status == "loaded" and second[0].status == "skipped"
    assert query(con, "SELECT * FROM raw.calls ORDER BY call_id") == before
    assert query(con, "SELECT count(*) FROM raw._load_ledger") == [(1,)]


def test_the_ledger_notes_the_load_time_in_utc(con, tmp_path):
    """The session's time zone is the business one (Moscow, UTC+3); the ledger, and the report's "loaded
    ... UTC", hold UTC."""
    before = datetime.now(UTC).replace(tzinfo=None)
    load_files(con, "calls", [Path(shutil.copy(WORKED_EXAMPLE / "calls.csv", tmp_path / "calls.csv"))])
    [(loaded_at,)] = query(con, "SELECT loaded_at FROM raw._load_ledger")
    assert before - timedelta(seconds=1) <= loaded_at <= datetime.now(UTC).replace(tzinfo=None)


def test_same_rows_in_another_file_are_duplicates(con, tmp_path):
    original = Path(shutil.copy(WORKED_EXAMPLE / "calls.csv", tmp_path / "calls.csv"))
    copy = write(tmp_path, "calls__resent.csv", original.read_text() + "\n")  # other bytes, same rows
    load_files(con, "calls", [original])
    [again] = load_files(con, "calls", [copy])
    assert (again.status, again.rows_in, again.rows_loaded, again.rows_duplicate) == ("loaded", 26, 0, 26)
    assert query(con, "SELECT count(*) FROM raw.calls") == [(25,)]


def test_repeated_lines_of_a_file_load_once_and_a_conflicting_key_is_quarantined(con, tmp_path):
    """Rows are compared column by column, empty columns included: a repeated line is a duplicate, two
    different rows for one key are both quarantined, and a row repeated but for one empty column is a
    conflict too."""
    same = "K1,2026-03-02T10:00:00+03:00,outbound,E1,,,NO ANSWER,0,"
    path = write(tmp_path, "calls.csv", CALLS_HEADER + "\n".join([
        same, same, same,                                                  # lines 2-4: one row, twice repeated
        "K2,2026-03-02T11:00:00+03:00,outbound,E1,C1,+7,ANSWERED,10,",      # 5 and 6: K2 twice, one without
        "K2,2026-03-02T11:00:00+03:00,outbound,E1,,+7,ANSWERED,10,",        #   its client: a conflict
        "K3,2026-03-02T12:00:00+03:00,outbound,E1,C1,+7,ANSWERED,10,",      # 7: alone
    ]) + "\n")
    [load] = load_files(con, "calls", [path])
    assert (load.rows_in, load.rows_loaded, load.rows_duplicate, load.rows_quarantined) == (6, 2, 2, 2)
    assert query(con, "SELECT call_id, _line FROM raw.calls ORDER BY call_id") == [("K1", 2), ("K3", 7)]
    assert query(con, "SELECT line, reason FROM raw._quarantine ORDER BY line") == [
        (5, "conflicting rows for the same key in this file (lines 5, 6)"),
        (6, "conflicting rows for the same key in this file (lines 5, 6)")]


def test_a_warehouse_whose_raw_rows_carry_a_content_hash_loads_on(tmp_path):
    """Raw rows carried the MD5 of their content until 2026-12: connecting drops the column, and rows
    loaded before still make a file sent again a duplicate."""
    original = Path(shutil.copy(WORKED_EXAMPLE / "calls.csv", tmp_path / "calls.csv"))
    with connect(tmp_path / "w.duckdb", "Europe/Moscow") as con:
        load_files(con, "calls", [original])
        con.execute("ALTER TABLE raw.calls ADD COLUMN _row_hash VARCHAR")
        con.execute("UPDATE raw.calls SET _row_hash = md5(call_id)")
    with connect(tmp_path / "w.duckdb", "Europe/Moscow") as con:
        columns = {name for (name,) in query(con, "SELECT column_name FROM information_schema.columns "
                                                  "WHERE table_schema = 'raw' AND table_name = 'calls'")}
        assert "_row_hash" not in columns
        [again] = load_files(con, "calls", [write(tmp_path, "calls__resent.csv", original.read_text() + "\n")])
        assert (again.rows_loaded, again.rows_duplicate) == (0, 26)


def test_changed_row_is_stored_as_a_new_version(con, tmp_path):
    row = "K1,2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,ANSWERED,10,"
    v1 = write(tmp_path, "calls.csv", CALLS_HEADER + row + "callback\n")
    v2 = write(tmp_path, "calls__fix.csv", CALLS_HEADER + row + "meeting_agreed\n")
    load_files(con, "calls", [v1, v2])
    assert query(con, "SELECT outcome, _load_id FROM raw.calls ORDER BY _load_id") == [
        ("callback", 1), ("meeting_agreed", 2)]


def test_missing_required_column_rejects_the_file_and_other_files_still_load(con, tmp_path):
    landing = tmp_path / "landing"
    write(landing, "calls.csv", "call_id,direction\nK1,outbound\n")
    write(landing, "calls__ok.csv", CALLS_HEADER + "K2,2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,BUSY,0,\n")
    report = load_landing(con, landing, MAPPINGS)
    [rejected] = report.rejected
    assert rejected.file_name == "calls.csv"
    assert "no header with the columns canonical calls needs (call_id, started_at, direction, disposition)" \
        in rejected.reason
    assert "lacks started_at, disposition" in rejected.reason
    assert query(con, "SELECT call_id FROM raw.calls") == [("K2",)]
    assert query(con, "SELECT file_name, status FROM raw._load_ledger ORDER BY load_id") == [
        ("calls.csv", "rejected"), ("calls__ok.csv", "loaded")]


def test_optional_columns_may_be_absent_and_unknown_ones_are_reported(con, tmp_path):
    path = write(tmp_path, "clients.csv", "client_id,Name,colour\nC1,OOO Test,blue\n")
    [load] = load_files(con, "clients", [path])
    assert load.ignored_columns == "colour"
    assert query(con, "SELECT client_id, name, region FROM raw.clients") == [("C1", "OOO Test", None)]


def test_parquet_files_load_like_csv(con, tmp_path):
    frame = pd.read_csv(WORKED_EXAMPLE / "deal_stages.csv", dtype=str)
    frame.to_parquet(tmp_path / "deal_stages.parquet")
    [load] = load_files(con, "deal_stages", [tmp_path / "deal_stages.parquet"])
    assert (load.rows_in, load.rows_loaded, load.rows_quarantined) == (20, 20, 0)
    assert query(con, "SELECT min(_line), max(_line) FROM raw.deal_stages") == [(1, 20)]


def test_rule_breaking_deal_stage_is_quarantined(con, tmp_path):
    path = write(tmp_path, "deal_stages.csv", "deal_id,client_id,stage,entered_at,employee_id,loss_reason\n"
                 "D1,C1,negotiation,2026-03-01,M1,\n"
                 "D1,C1,meeting_held,2026-03-02,M1,price\n"
                 "D1,C1,lost,2026-03-03,M1,price\n")
    [load] = load_files(con, "deal_stages", [path])
    assert load.rows_loaded == 1
    assert [r for (r,) in query(con, "SELECT reason FROM raw._quarantine ORDER BY line")] == [
        "unknown stage: negotiation", "loss_reason on a stage that is not a loss"]
