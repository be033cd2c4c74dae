"""dbt models and seeds as Dagster assets; each dbt test becomes an asset check of its model.

The project builds in three steps, by dbt tag: `sales` (everything but the entity models), then
`entity_checks` (identifier and analysis checks, validated by Great Expectations), then `entity_marts`.
A failing ERROR expectation blocks the entity marts and nothing else; a new entity's identifiers can
be judged without rebuilding the sales marts.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.resources import WarehouseResource
from pipelines.transform.project import DBT_EXECUTABLE, dbt_project, ensure_manifest


class FolderGroupTranslator(DagsterDbtTranslator):
    """Group dbt assets by layer folder (staging, intermediate, marts); seeds form `config`."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:sales-ops-analytics"]


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """dbt runs as a subprocess that inherits os.environ: that is how it learns the warehouse path."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build` of the selected models, seeds and tests, with the run's warehouse, time zone and as-of
    date in the environment."""
    with _environ(warehouse.dbt_env()):
        yield from dbt.cli(["build"], context=context).stream()


def _dbt_step(tag: str):
    @dbt_assets(manifest=ensure_manifest(dbt_project), project=dbt_project, select=f"tag:{tag}",
                name=f"dbt_{tag}", dagster_dbt_translator=FolderGroupTranslator())
    def step(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        yield from _build(context, dbt, warehouse)

    return step


dbt_sales, dbt_entity_checks, dbt_entity_marts = (_dbt_step(t) for t in ("sales", "entity_checks", "entity_marts"))


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


defs = dg.Definitions(assets=[dbt_sales, dbt_entity_checks, dbt_entity_marts])
