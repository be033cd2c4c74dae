"""The Dagster code location: one module per concern, merged."""

from __future__ import annotations

import dagster as dg

from pipelines import alerts, reports, schedules
from pipelines.ingest import assets as ingest_assets
from pipelines.ingest import phones
from pipelines.publish import published_warehouse_asset
from pipelines.quality import assets as quality_assets
from pipelines.quality import expectation_checks, history
from pipelines.resources import WarehouseResource
from pipelines.settings import Settings
from pipelines.transform import assets as transform_assets


def build_definitions(settings: Settings) -> dg.Definitions:
    assets = dg.Definitions.merge(
        ingest_assets.defs,
        phones.defs,
        quality_assets.defs,
        expectation_checks.defs,
        history.defs,
        reports.defs,
        transform_assets.defs,
        dg.Definitions(resources={"warehouse": WarehouseResource.from_settings(settings),
                                  "dbt": transform_assets.dbt_resource()}),
    )
    # Publication waits for every asset: for the ones nothing else waits for, hence for all.
    graph = assets.resolve_asset_graph()
    leaves = sorted(key for key in graph.materializable_asset_keys if not graph.get(key).child_keys)
    return dg.Definitions.merge(
        assets,
        alerts.defs,
        dg.Definitions(
            assets=[published_warehouse_asset(leaves)],
            jobs=[schedules.refresh_job],
            schedules=[schedules.build_schedule(settings.business_tz)],
            sensors=[schedules.landing_sensor],
            # In-process, for every job: one DuckDB file takes one writer at a time, and a subprocess per
            # step would re-import the code location for each asset (seconds each, see STACK.md).
            executor=dg.in_process_executor,
        ),
    )


defs = build_definitions(Settings.from_env())
