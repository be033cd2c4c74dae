"""When the graph runs: nightly at 02:00 business time, and when new files land."""

import hashlib
import json

import dagster as dg

from pipelines.ingest.assets import LEDGER_KEY, raw_key
from pipelines.ingest.loader import landing_entries, route
from pipelines.publish import PUBLISHED_KEY
from pipelines.quality.assets import FORMATS_KEY
from pipelines.quality.expectation_checks import EXPECTATION_RESULTS_KEY
from pipelines.quality.history import HISTORY_KEY
from pipelines.resources import WarehouseResource
from pipelines.transform.assets import dbt_entity_marts, dbt_models, keys_tagged

REFRESH_JOB = "refresh_all"
ENTITY_TABLES = ("entity_identifiers", "entity_analyses")

refresh_job = dg.define_asset_job(
    REFRESH_JOB,
    selection=dg.AssetSelection.all(),
    description="Load every landed file, rebuild the dbt marts and run every check.",
)


def entity_asset_keys() -> list[dg.AssetKey]:
    """What a new entity's files change: their raw tables, the identifier validation and the entity
    models (checks, then marts), and the publication. The sales models are read as they are, not rebuilt."""
    return [*(raw_key(t) for t in ENTITY_TABLES), LEDGER_KEY, FORMATS_KEY,
            *keys_tagged(dbt_models, "entity_checks"), EXPECTATION_RESULTS_KEY, HISTORY_KEY, *dbt_entity_marts.keys,
            PUBLISHED_KEY]


def landing_fingerprint(warehouse: WarehouseResource) -> dict[str, list]:
    """Name -> [tables its mappings feed, size, mtime] of everything in the landing folder that is not
    hidden or still being copied (an unrecognised file starts a run too: the run reports it)."""
    mappings = warehouse.mappings()
    fingerprint = {}
    for path in landing_entries(warehouse.landing):
        stat = path.stat()
        tables = sorted({t for m in route(path, mappings) for t in m.table_names()})
        fingerprint[path.name] = [tables, stat.st_size, stat.st_mtime_ns]
    return fingerprint


@dg.sensor(job=refresh_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Starts a refresh when a file lands in (or changes in) the landing folder; files of "
                       "entity identifiers or analyses alone refresh only the entity assets (the verdict).")
def landing_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    fingerprint = landing_fingerprint(warehouse)
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(name for name, sig in fingerprint.items() if previous.get(name) != sig)
    if not changed:
        return dg.SkipReason(f"no new files in {warehouse.landing}")
    encoded = json.dumps(fingerprint, sort_keys=True)
    context.update_cursor(encoded)
    entities_only = bool(previous) and all(
        fingerprint[name][0] and set(fingerprint[name][0]) <= set(ENTITY_TABLES) for name in changed)
    return dg.RunRequest(run_key=hashlib.sha256(encoded.encode()).hexdigest()[:16],
                         asset_selection=entity_asset_keys() if entities_only else None,
                         tags={"salesfunnel/new_files": ", ".join(changed)[:200],
                               "salesfunnel/scope": "entities" if entities_only else "all"})


def build_schedule(business_tz: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="nightly_refresh", job=refresh_job, cron_schedule="0 2 * * *", execution_timezone=business_tz,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Nightly refresh at 02:00 in the business time zone.")
