"""Run the whole graph in-process, as the schedule does, for the command line and the tests."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.schedules import REFRESH_JOB, entity_asset_keys
from pipelines.settings import Settings


def run_refresh(settings: Settings, instance: dg.DagsterInstance | None = None, log_level: str = "DEBUG",
                entities_only: bool = False, timings: Path | None = None,
                rebuild: bool = False, full_refresh: bool = False,
                rebuild_days: tuple[date, date] | None = None) -> dg.ExecuteInProcessResult:
    """Materialise every asset and run every check (or, with entities_only, what the sensor runs when
    only entity files land); when nothing is new since the last build, nothing (unless `rebuild`);
    `full_refresh`: the dbt models step rebuilds its incremental models from every row loaded;
    `rebuild_days` (first, last): it derives the calls and events of those days again.
    With no instance, the one of DAGSTER_HOME if set (so the runs show in the UI), else an ephemeral
    one. `timings`: a JSON file to write each step's start and end to."""
    job = build_definitions(settings).resolve_job_def(REFRESH_JOB)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}},
                  "ops": {"ingest_landing": {"config": {"rebuild": rebuild}},
                          "dbt_models": {"config": {"full_refresh": full_refresh, **_days(rebuild_days)}}}}
    options = {"raise_on_error": False, "run_config": run_config,
               "asset_selection": entity_asset_keys() if entities_only else None}

    def run(on: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
        result = job.execute_in_process(instance=on, **options)
        if timings is not None:
            Path(timings).write_text(json.dumps({"steps": step_timings(on, result.run_id)}))
        return result

    if instance is not None:
        return run(instance)
    with dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral() as own:
        return run(own)


def _days(rebuild_days: tuple[date, date] | None) -> dict[str, str]:
    if rebuild_days is None:
        return {}
    return {"rebuild_from": rebuild_days[0].isoformat(), "rebuild_through": rebuild_days[1].isoformat()}


def step_timings(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, float]]:
    """Each step's start and end (epoch seconds), from the run's event log."""
    steps: dict[str, dict[str, float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            steps[event.step_key] = {"start": entry.timestamp, "end": entry.timestamp}
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in steps:
            steps[event.step_key]["end"] = entry.timestamp
    return steps


def built_nothing(result: dg.ExecuteInProcessResult) -> bool:
    """The run found nothing new since the last build: it materialised no asset."""
    return result.success and not result.get_asset_materialization_events()
