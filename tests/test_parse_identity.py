"""dbt's last parse holds across warehouse files of the same name (pipelines/transform/parse_identity.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pipelines.canonical import DBT_PROJECT_DIR
from pipelines.transform.parse_identity import PARSE_NEUTRAL

REPARSED = "Unable to do partial parsing"


def _parse(target: Path, warehouse: Path, memory: str) -> str:
    """dbt's log of `python -m pipelines.transform.parse_identity parse` into `target`."""
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.transform.parse_identity", "parse", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(target),
         "--no-send-anonymous-usage-stats"],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=True,
        env={**os.environ, "SALESFUNNEL_WAREHOUSE": str(warehouse), "SALESFUNNEL_DUCKDB_MEMORY": memory})
    return done.stdout


def test_a_parse_holds_for_another_warehouse_file_but_not_another_database_name(tmp_path):
    target = tmp_path / "target"
    assert REPARSED in _parse(target, tmp_path / "a" / "warehouse.duckdb", "1GB")  # nothing kept yet
    # Another folder and memory cap: the same parse.
    assert REPARSED not in _parse(target, tmp_path / "b" / "warehouse.duckdb", "2GB")
    # Another file name is another database name, which every parsed node carries: parsed again.
    assert f"{REPARSED} because profile has changed" in _parse(target, tmp_path / "b" / "other.duckdb", "2GB")


def test_the_project_reads_none_of_the_settings_left_out_of_the_comparison():
    """A model or macro reading `target.path` (or `target.settings`) would make the parse depend on it."""
    reads = re.compile(r"target\s*(\.\s*|\[\s*['\"])(" + "|".join(sorted(PARSE_NEUTRAL)) + r")\b")
    sources = [p for folder in ("models", "macros", "tests", "seeds") for p in (DBT_PROJECT_DIR / folder).rglob("*")
               if p.suffix in (".sql", ".yml", ".yaml")] + [DBT_PROJECT_DIR / "dbt_project.yml"]
    assert len(sources) > 50
    assert [str(p) for p in sources if reads.search(p.read_text())] == []
