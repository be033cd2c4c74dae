"""Command line: `python -m pipelines run ...` runs the whole graph; `preview FILE` shows what a run
would do with one file; `generate` writes demo data."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from datetime import date
from pathlib import Path

from pipelines.settings import DEFAULT_PHONE_REGION, DEFAULT_TZ, ENGINES, engine_from_env


def _sources(args: argparse.Namespace) -> tuple[Path, ...]:
    """--sources given, else SALESFUNNEL_SOURCES (os.pathsep-separated)."""
    if args.sources:
        return tuple(args.sources)
    return tuple(Path(p) for p in os.environ.get("SALESFUNNEL_SOURCES", "").split(os.pathsep) if p)


def _mappings(sources: tuple[Path, ...]):
    """The mappings in use, or None after printing why they cannot be read."""
    from pipelines.ingest.mappings import MappingError, MappingSet, source_locations

    try:
        return MappingSet.load(source_locations(sources))
    except MappingError as exc:
        print(f"error: mapping: {exc}", file=sys.stderr)
        return None


def _run(args: argparse.Namespace) -> int:
    from pipelines.run_events import failed_checks, rejected_files, step_failures
    from pipelines.runner import built_nothing, run_refresh
    from pipelines.settings import Settings

    try:
        settings = Settings(landing=args.landing, warehouse=args.warehouse, business_tz=args.tz,
                            as_of=date.fromisoformat(args.as_of) if args.as_of else None,
                            sources=_sources(args), phone_region=args.phone_region, engine=args.engine)
        rebuild_days = _date_range(args.rebuild_days) if args.rebuild_days else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not settings.landing.is_dir():
        print(f"error: landing folder {settings.landing} does not exist", file=sys.stderr)
        return 2
    if _mappings(settings.sources) is None:
        return 2
    started = time.perf_counter()
    # dbt writes every model and test to stdout; the command line keeps that in a log file and shows the
    # outcome (the UI and `--log-level INFO` show it all).
    log = settings.warehouse.parent / "logs" / "run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    quiet = args.log_level in ("WARNING", "ERROR")
    with log.open("w") as out, contextlib.redirect_stdout(out if quiet else sys.stdout):
        result = run_refresh(settings, log_level=args.log_level, entities_only=args.entities_only,
                             timings=args.timings, rebuild=args.rebuild or args.full_refresh or bool(rebuild_days),
                             full_refresh=args.full_refresh, rebuild_days=rebuild_days)
    elapsed = time.perf_counter() - started
    for check in failed_checks(result.all_events):
        print(f"check failed: {check}")
    for file_name, reason in rejected_files(result.all_events):
        print(f"rejected: {file_name}: {reason}")
    if not result.success:
        for step, message in step_failures(result.all_events):
            print(f"step failed: {step}: {message}", file=sys.stderr)
        print(f"run {result.run_id} failed after {elapsed:.1f} s", file=sys.stderr)
        return 1
    _print_summary(settings.warehouse)
    if built_nothing(result):
        print("nothing new since the last build: every mart and the report stand as they were (--rebuild "
              "builds them all the same)")
    print(f"run {result.run_id} succeeded in {elapsed:.1f} s; warehouse: {settings.warehouse}; dbt's log: {log}")
    return 0


def _date_range(text: str) -> tuple[date, date]:
    first, sep, last = text.partition(":")
    try:
        days = date.fromisoformat(first), date.fromisoformat(last)
    except ValueError:
        days = None
    if not sep or days is None or days[0] > days[1]:
        raise ValueError(f"--rebuild-days takes FROM:THROUGH, two dates YYYY-MM-DD in order, not {text!r}")
    return days


def _print_summary(warehouse: Path) -> None:
    from pipelines.warehouse_copies import connect_published

    with connect_published(warehouse) as con:
        # Totals of every run so far: on a second night a table's rows would otherwise read as loaded again.
        print("  rows of every file loaded so far (raw._load_ledger):")
        for table, files, rows_in, loaded, dup, quarantined, filtered in con.execute(
            "SELECT table_name, count(*), sum(rows_in), sum(rows_loaded), sum(rows_duplicate), sum(rows_quarantined), "
            "sum(rows_filtered) FROM raw._load_ledger WHERE status = 'loaded' GROUP BY table_name ORDER BY table_name"
        ).fetchall():
            print(f"  {table:<20} files {files:>4,}  in {rows_in:>10,}  loaded {loaded:>10,}  duplicate {dup:>8,}  "
                  f"quarantined {quarantined:>8,}  filtered {filtered:>8,}")
        marts = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                            "ORDER BY table_name").fetchall()
        print("  marts: " + ", ".join(f"marts.{name}" for (name,) in marts))


def _preview(args: argparse.Namespace) -> int:
    from pipelines.ingest.preview import preview

    if not args.file.exists():
        print(f"error: {args.file} does not exist", file=sys.stderr)
        return 2
    mappings = _mappings(_sources(args))
    if mappings is None:
        return 2
    accepted, report = preview(args.file, mappings, args.tz, rows=args.rows)
    print(report)
    return 0 if accepted else 1


def _generate(args: argparse.Namespace) -> int:
    from pipelines.demo.generator import write_demo_data

    started = time.perf_counter()
    counts = write_demo_data(Path(args.out), scale=args.scale, seed=args.seed, fmt=args.format)
    for table, rows in counts.items():
        print(f"  {table:<20} {rows:>10,} rows")
    print(f"demo data written to {Path(args.out).resolve()} in {time.perf_counter() - started:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="load a landing folder and build every mart")
    run.add_argument("--landing", type=Path, required=True, help="folder with calls.csv, clients.csv, ...")
    run.add_argument("--warehouse", type=Path, required=True, help="DuckDB file to load and build into")
    run.add_argument("--as-of", help="as-of date YYYY-MM-DD (default: the latest event in the data)")
    run.add_argument("--tz", default=DEFAULT_TZ, help=f"business time zone (default {DEFAULT_TZ})")
    run.add_argument("--sources", type=Path, action="append", metavar="FILE_OR_DIR",
                     help="source mapping file or folder, tried before the shipped sources/ (repeatable; "
                          "default SALESFUNNEL_SOURCES)")
    run.add_argument("--phone-region", default=os.environ.get("SALESFUNNEL_PHONE_REGION", DEFAULT_PHONE_REGION),
                     help=f"country of phone numbers written without a country code (default {DEFAULT_PHONE_REGION})")
    run.add_argument("--engine", choices=ENGINES, default=engine_from_env(),
                     help="what builds the dbt models: duckdb (default, or SALESFUNNEL_ENGINE) or spark "
                          "(docs/scale-out.md); the marts land in --warehouse either way")
    run.add_argument("--entities-only", action="store_true",
                     help="refresh only entity identifiers and analyses (what the sensor does for such files)")
    run.add_argument("--rebuild", action="store_true",
                     help="build every asset even when nothing is new since the last build")
    run.add_argument("--full-refresh", action="store_true",
                     help="also rebuild the incremental models (call legs, calls, events) from every row loaded, "
                          "not only the new loads (implies --rebuild)")
    run.add_argument("--rebuild-days", metavar="FROM:THROUGH",
                     help="derive the calls and events of these days (YYYY-MM-DD, business-local, inclusive) "
                          "again from their rows, besides what is new: a backfill without a full refresh "
                          "(implies --rebuild)")
    run.add_argument("--timings", type=Path, help="write each step's start and end to this JSON file (benchmarks)")
    run.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                     help="Dagster's console log level (default WARNING; the UI keeps every event)")
    run.set_defaults(func=_run)

    prev = sub.add_parser("preview", help="show how a file would be read and mapped, without loading it")
    prev.add_argument("file", type=Path, help="the file to look at")
    prev.add_argument("--sources", type=Path, action="append", metavar="FILE_OR_DIR",
                      help="source mapping file or folder, tried before the shipped sources/ (repeatable)")
    prev.add_argument("--tz", default=DEFAULT_TZ, help=f"business time zone (default {DEFAULT_TZ})")
    prev.add_argument("--rows", type=int, default=10, help="canonical rows to show per table (default 10)")
    prev.set_defaults(func=_preview)

    gen = sub.add_parser("generate", help="write deterministic demo data")
    gen.add_argument("--scale", type=float, default=1.0, help="scale factor; 1 is about 1M calls")
    gen.add_argument("--out", type=Path, required=True, help="folder to write the canonical tables to")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--format", choices=("csv", "parquet"), default="csv")
    gen.set_defaults(func=_generate)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
