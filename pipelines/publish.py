"""The last step of every run: publish the working copy to the warehouse file readers open
(pipelines/warehouse_copies.py). It waits for every other asset, so Dagster runs it only when every step
before it has succeeded and no blocking check has failed; otherwise the published file stays as it was.
In a run that selected every asset, it also records what the build was made from
(pipelines/build_state.py), so the next run with nothing new builds nothing."""


import time
from pathlib import Path

import dagster as dg

from pipelines.build_state import fingerprint, record_build
from pipelines.resources import WarehouseResource
from pipelines.warehouse_copies import publish

PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])


def _selected_everything(context: dg.AssetExecutionContext) -> bool:
    """The run selected every asset (a subset run's own job knows only its subset: ask the definitions)."""
    selection = context.run.asset_selection
    if not selection:  # None or empty: the whole job
        return True
    from pipelines.definitions import defs  # imported here: the definitions import this module

    return set(selection) >= set(defs.resolve_asset_graph().materializable_asset_keys)


def published_warehouse_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The publication step, downstream of `upstream` (the assets nothing else depends on)."""

    @dg.asset(key=PUBLISHED_KEY, deps=upstream, group_name="published", kinds={"duckdb"},
              owners=["team:sales-ops-analytics"],
              description="The warehouse file readers open, replaced whole and atomically by the run's "
                          "working copy once every other step has succeeded (docs/operations.md).")
    def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        started = time.perf_counter()
        size = publish(Path(warehouse.path))
        if _selected_everything(context):  # after publishing: a run killed in between builds again
            with warehouse.connect() as con:
                record_build(con, fingerprint(con, warehouse.build_settings()), context.run.run_id)
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(warehouse.path),
            "size_mb": round(size / 2**20, 1),
            "publish_seconds": round(time.perf_counter() - started, 2),
        })

    return published_warehouse
