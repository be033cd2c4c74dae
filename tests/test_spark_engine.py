"""The Spark engine (docs/scale-out.md): `python -m pipelines run --engine spark` builds every dbt model on
a local Spark session and leaves in the warehouse file the same tables, value for value, as the DuckDB
engine does from the same files: the worked example, and generated demo data.

Run by `make test-spark` (marker `spark`), which installs Java 17 and pyspark first; `make test` leaves
these tests out (pyproject.toml).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.generator import write_demo_data
from pipelines.settings import REPO_ROOT
from tests.conftest import WORKED_AS_OF, WORKED_EXAMPLE

pytestmark = pytest.mark.spark

# What dbt builds: the layers, the seeds and the personal names kept beside the raw rows.
BUILT_SCHEMAS = ("staging", "intermediate", "marts", "config")
BUILT_IN_RAW = ("personal_client_names", "personal_employee_names")
RELATIVE_TOLERANCE = 1e-9  # doubles summed in another order may differ in the last digits


@pytest.fixture(scope="module", autouse=True)
def spark_installed():
    """Fail, not skip: this module runs only when asked for (make test-spark installs what it needs)."""
    assert shutil.which("java"), "Java is not installed: run `make spark` (Debian's openjdk-17-jre-headless)"
    pytest.importorskip("pyspark", reason="pyspark is not installed: run `make spark`")


def run_cli(landing: Path, warehouse: Path, engine: str, *extra: str) -> None:
    # Both warehouses hash phone numbers with one key (each would otherwise draw its own).
    env = {**os.environ, "SALESFUNNEL_PHONE_KEY": "spark-equals-duckdb"}
    done = subprocess.run([sys.executable, "-m", "pipelines", "run", "--engine", engine, "--landing", str(landing),
                           "--warehouse", str(warehouse), *extra],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    log = warehouse.parent / "logs" / "run.log"
    assert done.returncode == 0, (f"{engine} run failed:\n{done.stdout}\n{done.stderr[-4000:]}\n"
                                  f"{log.read_text()[-4000:]}")


def built_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    schemas = ", ".join(f"'{s}'" for s in BUILT_SCHEMAS)
    names = ", ".join(f"'{t}'" for t in BUILT_IN_RAW)
    return [f"{schema}.{table}" for schema, table in con.execute(
        f"SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ({schemas}) "
        f"OR (table_schema = 'raw' AND table_name IN ({names})) ORDER BY 1, 2").fetchall()]


def same_value(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return (math.isnan(left) and math.isnan(right)) or math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE)
    return left == right


def differences(duckdb_file: Path, spark_file: Path) -> dict[str, str]:
    """Table -> how the Spark engine's copy differs from DuckDB's (columns, types, rows), for every table."""
    found = {}
    with (duckdb.connect(str(duckdb_file), read_only=True) as left,
          duckdb.connect(str(spark_file), read_only=True) as right):
        tables = built_tables(left)
        missing = set(tables) ^ set(built_tables(right))
        if missing:
            found["(tables)"] = f"only in one warehouse: {sorted(missing)}"
        for table in tables:
            columns = [tuple(c[:2]) for c in left.execute(f"DESCRIBE {table}").fetchall()]
            if table in missing:
                continue
            if columns != [tuple(c[:2]) for c in right.execute(f"DESCRIBE {table}").fetchall()]:
                found[table] = f"columns or types differ: {columns}"
                continue
            rows = [sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for con in (left, right)]
            if len(rows[0]) != len(rows[1]):
                found[table] = f"{len(rows[0])} rows on DuckDB, {len(rows[1])} on Spark"
                continue
            unequal = [(a, b) for a, b in zip(*rows, strict=True)
                       if not all(same_value(x, y) for x, y in zip(a, b, strict=True))]
            if unequal:
                found[table] = f"{len(unequal)} of {len(rows[0])} rows differ, e.g. {unequal[0]}"
    return found


def assert_same_tables(duckdb_file: Path, spark_file: Path) -> None:
    with duckdb.connect(str(spark_file), read_only=True) as con:
        assert len(built_tables(con)) > 50
        assert con.execute("SELECT count(*) FROM marts.fct_process_kpis").fetchone()[0] > 0
    assert differences(duckdb_file, spark_file) == {}


def test_the_worked_example_on_spark_gives_the_duckdb_tables(tmp_path):
    for engine in ("duckdb", "spark"):
        run_cli(WORKED_EXAMPLE, tmp_path / engine / "warehouse.duckdb", engine, "--as-of", WORKED_AS_OF.isoformat())
    assert_same_tables(tmp_path / "duckdb" / "warehouse.duckdb", tmp_path / "spark" / "warehouse.duckdb")
    # Spark's own tables and metastore stay beside the warehouse, out of the way of the published file.
    assert (tmp_path / "spark" / "warehouse.spark" / "exchange" / "marts" / "fct_process_kpis").is_dir()


def test_demo_data_on_spark_gives_the_duckdb_tables(tmp_path):
    landing = tmp_path / "landing"
    write_demo_data(landing, scale=0.01, seed=7)
    for engine in ("duckdb", "spark"):
        run_cli(landing, tmp_path / engine / "warehouse.duckdb", engine)
    assert_same_tables(tmp_path / "duckdb" / "warehouse.duckdb", tmp_path / "spark" / "warehouse.duckdb")


def test_the_thrift_target_is_a_valid_profile(tmp_path):
    """No Thrift Server can run here (docs/scale-out.md): dbt loads the profile and parses the project."""
    env = {**os.environ, "SALESFUNNEL_DBT_TARGET": "spark_thrift", "SALESFUNNEL_SPARK_HOST": "spark.example.internal"}
    done = subprocess.run([str(Path(sys.executable).parent / "dbt"), "parse", "--profiles-dir", ".",
                           "--target-path", str(tmp_path)],
                          cwd=REPO_ROOT / "dbt_project", env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"adapter_type": "spark"' in (tmp_path / "manifest.json").read_text()
