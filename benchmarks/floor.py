"""Run the floor (benchmarks/floor.sql) on a landing folder of canonical demo files, in one DuckDB
process, and write its two results as Parquet for the comparison."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "dbt_project" / "seeds"


def run_floor(landing: Path, out: Path, tz: str = "Europe/Moscow", as_of: str = "") -> None:
    sql = (HERE / "floor.sql").read_text().format(landing=landing, tz=tz, as_of=as_of, seeds=SEEDS)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = ?", [tz])
        con.execute(sql)
        out.mkdir(parents=True, exist_ok=True)
        for table in ("floor_process_kpis", "floor_client_funnel"):
            con.execute(f"COPY {table} TO '{out / table}.parquet' (FORMAT parquet)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tz", default="Europe/Moscow")
    parser.add_argument("--as-of", default="")
    args = parser.parse_args()
    run_floor(args.landing, args.out, args.tz, args.as_of)
    return 0


if __name__ == "__main__":
    sys.exit(main())
