"""The dbt project handle, with a manifest kept in step with the project's files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.canonical import DBT_PROJECT_DIR
from pipelines.settings import duckdb_memory_limit

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# What runs start instead: dbt, killed with its run (dbt_child.py reads SALESFUNNEL_DBT).
DBT_CHILD = str(Path(__file__).with_name("dbt_child.py"))
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")


def _newest_source_mtime(project_dir: Path) -> float:
    paths = [project_dir / name for name in _SOURCES]
    files = [p for path in paths for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()]
    return max(p.stat().st_mtime for p in files)


def ensure_manifest(project: DbtProject) -> Path:
    """Run `dbt parse` when the manifest is missing or older than any project file (about 3 s), so the
    Dagster definitions always describe the SQL on disk. Its parse is kept for the runs' builds, which
    then parse only what changed (parse_identity.py)."""
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project.project_dir):
        subprocess.run(
            [sys.executable, "-m", "pipelines.transform.parse_identity", "parse", "--quiet",
             "--project-dir", str(project.project_dir), "--profiles-dir", str(project.profiles_dir)],
            check=True, cwd=project.project_dir,
            env={**os.environ, "SALESFUNNEL_DUCKDB_MEMORY": duckdb_memory_limit()})
    return manifest


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The last parse, kept between dbt invocations: each gets a target folder of its own seeded from it
# (in_process.unique_target_path; dagster-dbt for the subprocess) and writes its parse back.
KEPT_PARSE = Path(dbt_project.project_dir) / "target" / "partial_parse.msgpack"
