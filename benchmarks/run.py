"""The benchmark of the nightly job (make bench SCALE=10): generate the demo data once, run the whole
pipeline in its own process (ingest -> validation -> dbt -> checks -> report) and measure wall time and
peak memory per stage and in all; then the two baselines on the same files: the floor (one hand-written
DuckDB script, benchmarks/floor.sql) and pandas (benchmarks/pandas_baseline.py). All three must agree
on the month-grain process KPIs (slices all, team, employee) and the client funnel before the ratios
are printed. Then a rerun with nothing new (the fixed cost), a new entity's verdict and a run with one
new day of calls.

Speed and memory are measured here, never in timed unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
KPI_COLUMNS = ["inputs", "results", "efficiency", "cohort_conversions", "cohort_share", "participants",
               "productivity", "fte", "productivity_fte", "median_hours_to_result", "p90_hours_to_result", "dials",
               "reach_rate"]
FUNNEL_COLUMNS = ["clients", "step_conversion", "cumulative_conversion"]
NEW_ENTITY_FILE, NEXT_DAY_FILE = "entity_identifiers__new_entity.csv", "calls__next_day.csv"


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    samples: list[tuple[float, float]] = field(default_factory=list)  # (time, MB of the process tree)
    replaced_after: float | None = None  # seconds until the watched file was replaced (published)


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (dbt runs in a child process)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            with open(f"/proc/{current}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{current}/task/{current}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def _inode(path: Path | None) -> int | None:
    try:
        return path.stat().st_ino if path else None
    except FileNotFoundError:
        return None


def measure(command: list[str], env: dict | None = None, watch: Path | None = None) -> Measured:
    """Run a command, sampling the memory of its process tree every 50 ms, and noting when the file
    `watch` is replaced (a publication renames a new file over it)."""
    first_inode = _inode(watch)
    replaced: list[float] = []
    started = time.time()
    process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    samples: list[tuple[float, float]] = []

    def sample():
        while process.poll() is None:
            samples.append((time.time(), _tree_rss_mb(process.pid)))
            if watch and not replaced and _inode(watch) != first_inode:
                replaced.append(time.time() - started)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{err[-3000:]}")
    return Measured(time.time() - started, max((mb for _, mb in samples), default=0.0), samples,
                    replaced[0] if replaced else None)


def stage_table(timings: dict, run: Measured) -> list[tuple[str, float, float]]:
    """(stage, seconds, peak MB during it) from the run's step timings and the memory samples."""
    rows = []
    first_step = min((t["start"] for t in timings["steps"].values()), default=run.samples[-1][0])
    startup_peak = max((mb for t, mb in run.samples if t < first_step), default=0.0)
    rows.append(("start-up (Python, Dagster, definitions)", first_step - run.samples[0][0], startup_peak))
    groups = {"ingest": ["ingest_landing", "raw__phone_numbers"], "validation": ["validation__identifier_formats"],
              "dbt models": ["dbt_models"], "checks (Great Expectations)": ["quality__expectation_results",
                                                                            "quality__identifier_quality_history"],
              "dbt entity marts": ["dbt_entity_marts"], "report": ["reports__management_report"],
              "publication (rename, then copy back)": ["published__warehouse"]}
    for stage, steps in groups.items():
        spans = [timings["steps"][s] for s in steps if s in timings["steps"]]
        if not spans:
            continue
        start, end = min(s["start"] for s in spans), max(s["end"] for s in spans)
        peak = max((mb for t, mb in run.samples if start <= t <= end), default=0.0)
        rows.append((stage, sum(s["end"] - s["start"] for s in spans), peak))
    return rows


def _remove_added_files(landing: Path) -> None:
    """The files the benchmark adds to the generated ones (new entity, next day), if there."""
    for name in (NEW_ENTITY_FILE, NEXT_DAY_FILE):
        (landing / name).unlink(missing_ok=True)


def add_next_day_of_calls(landing: Path) -> int:
    """A new day of calls, as a nightly run receives it: the last full day's calls again, one day later,
    with new ids (NEXT_DAY_FILE), landed an hour before the run (the day's export lands in the evening,
    the schedule runs at night: the run does not wait out the landing's quiet period, which the verdict's
    run, started on a file just landed, does). Returns the number of calls."""
    with duckdb.connect() as con:
        con.execute(f"""
            CREATE TABLE calls AS
            SELECT * FROM read_csv({str(landing / 'calls.csv')!r}, all_varchar = true)
            WHERE try_cast(left(started_at, 10) AS date) IS NOT NULL""")  # the demo plants broken rows
        con.execute("""
            CREATE TABLE last_day AS
            SELECT * FROM calls WHERE left(started_at, 10) = (
                -- the last full working day (the demo's last dates hold a few stray calls)
                WITH days AS (SELECT left(started_at, 10) AS day, count(*) AS n FROM calls GROUP BY 1)
                SELECT max(day) FROM days WHERE n >= (SELECT median(n) / 2 FROM days))""")
        con.execute(f"""
            COPY (SELECT * REPLACE (
                      'N' || call_id AS call_id,
                      strftime(cast(left(started_at, 10) AS date) + 1, '%Y-%m-%d') || substr(started_at, 11)
                          AS started_at,
                      CASE WHEN linked_id IS NOT NULL THEN 'N' || linked_id END AS linked_id)
                  FROM last_day)
            TO {str(landing / NEXT_DAY_FILE)!r} (HEADER)""")
        calls = con.execute("SELECT count(*) FROM last_day").fetchone()[0]
    landed = time.time() - 3600
    os.utime(landing / NEXT_DAY_FILE, (landed, landed))
    return calls


def _marts(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        kpis = con.sql("SELECT * FROM marts.fct_process_kpis WHERE period_grain = 'month' "
                       "AND slice_type IN ('all', 'team', 'employee')").df()
        funnel = con.sql("SELECT * FROM marts.fct_client_funnel").df()
    return kpis, funnel


def _aligned(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for key in keys:
        if "start" in key or "month" in key:
            frame[key] = pd.to_datetime(frame[key]).dt.date
    return frame.set_index(keys)[columns].astype(float).sort_index()


def disagreements(pipeline: pd.DataFrame, other: pd.DataFrame, keys: list[str], columns: list[str]) -> list[str]:
    """What differs between two results of the same marts (values within 1e-9 relative count as equal)."""
    a, b = _aligned(pipeline, keys, columns), _aligned(other, keys, columns)
    problems = []
    if set(a.index) != set(b.index):
        missing, extra = set(a.index) - set(b.index), set(b.index) - set(a.index)
        problems.append(f"rows: {len(missing)} only in the pipeline (e.g. {sorted(missing)[:2]}), "
                        f"{len(extra)} only in the other (e.g. {sorted(extra)[:2]})")
    common = a.index.intersection(b.index)
    for column in columns:
        x, y = a.loc[common, column].to_numpy(), b.loc[common, column].to_numpy()
        equal = np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
        if not equal.all():
            where = common[~equal][0]
            problems.append(f"{column}: {int((~equal).sum())} rows differ, e.g. {where}: {x[~equal][0]} vs "
                            f"{y[~equal][0]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work", type=Path, default=REPO / "data" / "bench")
    parser.add_argument("--skip-pandas", action="store_true", help="the pandas baseline takes minutes at SF10")
    args = parser.parse_args()
    folder = args.work / f"sf{args.scale:g}-seed{args.seed}"
    landing = folder / "landing"
    if not (landing / ".generated").exists():
        generate = measure([PYTHON, "-m", "pipelines", "generate", "--scale", str(args.scale), "--seed",
                            str(args.seed), "--out", str(landing)])
        (landing / ".generated").write_text(f"{generate.seconds:.1f}")
    generate_s = float((landing / ".generated").read_text())
    _remove_added_files(landing)  # left by a benchmark that stopped half-way: the full run would load them
    for old in folder.glob("warehouse.*"):  # the published file, its working copy, their WAL and lock
        old.unlink()
    warehouse, timings_file = folder / "warehouse.duckdb", folder / "timings.json"
    run_cmd = [PYTHON, "-m", "pipelines", "run", "--landing", str(landing), "--warehouse", str(warehouse),
               "--timings", str(timings_file)]
    full = measure(run_cmd)
    stages = stage_table(json.loads(timings_file.read_text()), full)
    rerun = measure(run_cmd)
    rerun_steps = json.loads(timings_file.read_text())
    floor_out = folder / "floor"
    floor = measure([PYTHON, "benchmarks/floor.py", "--landing", str(landing), "--out", str(floor_out)])
    kpis, funnel = _marts(warehouse)
    floor_kpis = pd.read_parquet(floor_out / "floor_process_kpis.parquet")
    floor_funnel = pd.read_parquet(floor_out / "floor_client_funnel.parquet")
    kpi_keys, funnel_keys = ["process", "period_start", "slice_type", "slice_value"], ["cohort_month", "step"]
    problems = {"floor": disagreements(kpis, floor_kpis, kpi_keys, KPI_COLUMNS)
                + disagreements(funnel, floor_funnel, funnel_keys, FUNNEL_COLUMNS)}
    pandas_run = None
    if not args.skip_pandas:
        pandas_out = folder / "pandas"
        pandas_run = measure([PYTHON, "-c", (
            "import sys; from pathlib import Path; sys.path.insert(0, 'benchmarks'); import pandas_baseline as p; "
            f"out = Path({str(pandas_out)!r}); out.mkdir(exist_ok=True); "
            f"p.process_kpis(Path({str(landing)!r}), Path('dbt_project/seeds'), 'Europe/Moscow')"
            ".to_parquet(out / 'kpis.parquet'); "
            f"p.client_funnel(Path({str(landing)!r}), Path('dbt_project/seeds'), 'Europe/Moscow')"
            ".to_parquet(out / 'funnel.parquet')")])
        problems["pandas"] = disagreements(kpis, pd.read_parquet(pandas_out / "kpis.parquet"), kpi_keys, KPI_COLUMNS) \
            + disagreements(funnel, pd.read_parquet(pandas_out / "funnel.parquet"), funnel_keys, FUNNEL_COLUMNS)
    try:
        (landing / NEW_ENTITY_FILE).write_text(
            "client_id,id_type,id_value,source,observed_at\n"
            "C000001,INN,7707083893,registry,2026-10-30\nC000001,OGRN,1027700132195,registry,2026-10-30\n")
        verdict = measure([*run_cmd[:-2], "--entities-only"], watch=warehouse)
        (landing / NEW_ENTITY_FILE).unlink()
        new_day_calls = add_next_day_of_calls(landing)
        new_day = measure(run_cmd)
    finally:
        _remove_added_files(landing)

    print(f"\nScale {args.scale:g} ({sum(p.stat().st_size for p in landing.iterdir() if p.is_file()) / 2**20:,.0f} MB "
          f"of CSV; generated in {generate_s:.1f} s), {os.cpu_count()} cores\n")
    print(f"{'stage':<42} {'seconds':>8} {'peak MB':>8}")
    for stage, seconds, peak in stages:
        print(f"{stage:<42} {seconds:>8.1f} {peak:>8,.0f}")
    print(f"{'full run (process, wall)':<42} {full.seconds:>8.1f} {full.peak_mb:>8,.0f}")
    print(f"{'rerun, nothing new':<42} {rerun.seconds:>8.1f} {rerun.peak_mb:>8,.0f}")
    print(f"{'new entity verdict (entity-only run)':<42} {verdict.seconds:>8.1f} {verdict.peak_mb:>8,.0f}")
    if verdict.replaced_after is not None:
        print(f"{'  of which until the verdict is published':<42} {verdict.replaced_after:>8.1f}")
    print(f"{f'one new day ({new_day_calls:,} calls)':<42} {new_day.seconds:>8.1f} {new_day.peak_mb:>8,.0f}")
    print(f"{'floor (DuckDB script)':<42} {floor.seconds:>8.1f} {floor.peak_mb:>8,.0f}")
    if pandas_run:
        print(f"{'pandas baseline':<42} {pandas_run.seconds:>8.1f} {pandas_run.peak_mb:>8,.0f}")
    for other, found in problems.items():
        print(f"agreement with the {other}: " + ("every value equal" if not found else "; ".join(found)))
    print(f"\nfull run / floor: {full.seconds / floor.seconds:.1f}x" + (
        f"; pandas / full run: {pandas_run.seconds / full.seconds:.1f}x" if pandas_run else ""))
    rerun_work = sum(s["end"] - s["start"] for s in rerun_steps["steps"].values())
    print(f"rerun: {rerun.seconds:.1f} s in all, of which {rerun_work:.1f} s in the steps")
    (folder / "result.json").write_text(json.dumps({
        "scale": args.scale, "stages": stages, "full_s": full.seconds, "full_peak_mb": full.peak_mb,
        "rerun_s": rerun.seconds, "verdict_s": verdict.seconds,
        "verdict_published_s": verdict.replaced_after,
        "new_day_s": new_day.seconds, "new_day_peak_mb": new_day.peak_mb, "new_day_calls": new_day_calls,
        "floor_s": floor.seconds,
        "floor_peak_mb": floor.peak_mb, "pandas_s": pandas_run.seconds if pandas_run else None,
        "pandas_peak_mb": pandas_run.peak_mb if pandas_run else None, "problems": problems}, indent=1))
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
