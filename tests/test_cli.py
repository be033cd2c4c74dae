"""The command line refuses bad input with a clear message and writes demo data."""

from __future__ import annotations

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
