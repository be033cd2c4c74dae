"""The command line refuses bad input with a clear message and writes demo data."""

from __future__ import annotations

import pytest

from pipelines.__main__ import main
from pipelines.canonical import TABLES


def test_run_refuses_an_unknown_time_zone(tmp_path, capsys):
    assert main(["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--tz", "Europe/Atlantis"]) == 2
    assert "unknown time zone 'Europe/Atlantis'" in capsys.readouterr().err


def test_run_refuses_a_missing_landing_folder(tmp_path, capsys):
    assert main(["run", "--landing", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_generate_writes_every_canonical_table(tmp_path, capsys):
    assert main(["generate", "--scale", "0.002", "--out", str(tmp_path), "--format", "parquet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)


def test_preview_shows_the_mapping_the_rows_and_what_would_be_quarantined(tmp_path, capsys):
    export = tmp_path / "calls__march.csv"
    export.write_text("Отчёт по звонкам\ncall_id;started_at;direction;disposition\n"
                      "K1;2026-03-02 10:00;outbound;ANSWERED\nK2;not a time;outbound;ANSWERED\n", encoding="cp1251")
    assert main(["preview", str(export), "--rows", "5"]) == 0
    out = capsys.readouterr().out
    assert "mapping: canonical calls (built in)" in out
    assert "cp1251 (detected), delimiter ';', header on line 2" in out
    assert "table calls: 2 row(s) in: 1 would load, 0 duplicate, 1 quarantined, 0 filtered" in out
    assert "bad timestamp in started_at: not a time  (line 4)" in out
    assert "K1" in out and "2026-03-02 10:00:00+03:00" in out


def test_preview_of_a_file_nothing_can_read_exits_1(tmp_path, capsys):
    (tmp_path / "export.csv").write_text("a,b\n1,2\n")
    assert main(["preview", str(tmp_path / "export.csv")]) == 1
    assert "no mapping matches the name 'export.csv'" in capsys.readouterr().out
    (tmp_path / "calls.csv").write_text("a,b\n1,2\n")
    assert main(["preview", str(tmp_path / "calls.csv")]) == 1
    assert "rejected: no header with the columns canonical calls needs" in capsys.readouterr().out


def test_a_broken_mapping_is_one_clear_line_before_anything_runs(tmp_path, capsys):
    (tmp_path / "bad.yml").write_text("source: x\nfiles: [x.csv]\ntables: {calls: {columns: {call_id: Id}}}\n")
    assert main(["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--sources", str(tmp_path / "bad.yml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: mapping: ") and "gives no started_at" in err and "Traceback" not in err
    assert not (tmp_path / "w.duckdb").exists()


def test_run_refuses_an_unknown_phone_region(tmp_path, capsys):
    assert main(["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--phone-region", "XX"]) == 2
    assert "unknown phone region 'XX'" in capsys.readouterr().err


@pytest.mark.parametrize("days", ["2026-04-01", "2026-04-10:2026-04-01", "2026-04-01:April"])
def test_run_refuses_a_range_of_days_to_rebuild_it_cannot_read(tmp_path, capsys, days):
    assert main(["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                 "--rebuild-days", days]) == 2
    assert "--rebuild-days takes FROM:THROUGH" in capsys.readouterr().err


def test_the_run_summary_gives_the_totals_of_every_file_loaded_so_far(tmp_path, capsys):
    """On a second night a table's rows are those of both nights: the summary says so and counts the files."""
    from pipelines.__main__ import _print_summary
    from pipelines.ingest.loader import connect, load_landing
    from pipelines.ingest.mappings import MappingSet, source_locations

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    landing.mkdir()
    header = "call_id,started_at,direction,disposition\n"
    (landing / "calls__night1.csv").write_text(header + "c1,2026-05-04 10:00:00,outbound,ANSWERED\n"
                                               "c2,2026-05-04 11:00:00,outbound,BUSY\n")
    (landing / "calls__night2.csv").write_text(header + "c3,2026-05-05 10:00:00,inbound,ANSWERED\n"
                                               "c2,2026-05-04 11:00:00,outbound,BUSY\n")  # a duplicate
    (landing / "calls__broken.csv").write_text("no,such,columns\n1,2,3\n")  # rejected: not counted
    con = connect(warehouse, "Europe/Moscow")
    load_landing(con, landing, MappingSet.load(source_locations([])))
    con.close()
    _print_summary(warehouse)
    out = capsys.readouterr().out
    assert "rows of every file loaded so far" in out
    calls = next(line for line in out.splitlines() if line.split()[:1] == ["calls"])
    assert calls.split() == ["calls", "files", "2", "in", "4", "loaded", "3", "duplicate", "1",
                             "quarantined", "0", "filtered", "0"]
