"""dbt models and seeds as Dagster assets; each dbt test becomes an asset check of its model.

The project builds in two dbt invocations, by dbt tag: `sales` and `entity_checks` together (every
model but the entity marts; the identifier and analysis checks are what Great Expectations validates),
then `entity_marts`, which also wait for the Great Expectations validation (quality/expectation_results):
a failing ERROR expectation blocks the entity marts and nothing else; a new
entity's identifiers can be judged without rebuilding the sales marts (the sensor selects only the
entity models of the first step). Every invocation costs its own set-up (adapter, partial parse, about
a second in the run's process), so there are no more.
"""

import importlib.metadata
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from packaging import version
from pydantic import Field

from pipelines.build_state import (
    built_apart,
    ensure_basis_table,
    incremental_basis,
    last_load,
    loaded_tables_states,
    models_on_another_basis,
    record_basis,
    record_inputs,
)
from pipelines.quality.expectation_checks import EXPECTATION_RESULTS_KEY
from pipelines.resources import WarehouseResource
from pipelines.transform import in_process, unchanged
from pipelines.transform.project import DBT_CHILD, DBT_EXECUTABLE, KEPT_PARSE, dbt_project, ensure_manifest
from pipelines.transform.spark_exchange import built_tables, exchange_dir, export_tables, import_tables, source_tables

ENTITY_MARTS_TAG = "entity_marts"
# What an incremental build derives again (macros/incremental.sql): built by every run that builds an
# incremental model incrementally.
CHANGE_LISTS = ("model.salesfunnel.int_changed_subjects", "model.salesfunnel.int_changed_event_days")


class UnbuiltChecksAtDebug(logging.Filter):
    """Dagster warns, one line per check, when a step's blocking asset check gave no result. A dbt step
    builds only what changed (nothing, when nothing is new; the entity models, in an entity-only run),
    so the tests of the models it leaves give none: 24 such lines on every run that found nothing new.
    Dagster goes on without them all the same; the lines are kept at debug level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith("Blocking asset check "):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


UNBUILT_CHECKS_LOGGER = logging.getLogger("dagster._core.execution.plan.active")
UNBUILT_CHECKS_LOGGER.addFilter(UnbuiltChecksAtDebug())


class FolderGroupTranslator(DagsterDbtTranslator):
    """Group dbt assets by layer folder (staging, intermediate, marts); seeds form `config`."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "config"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        return ["team:sales-ops-analytics"]

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project) -> dg.AssetSpec:
        """The entity marts also wait for the Great Expectations validation, whose ERROR rules block them."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        if ENTITY_MARTS_TAG in manifest.get("nodes", {}).get(unique_id, {}).get("tags", []):
            spec = spec.merge_attributes(deps=[EXPECTATION_RESULTS_KEY])
        return spec


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


def _keep_partial_parse(target: Path) -> None:
    """Keep the parse this invocation made for the next one, and drop its target folder: each
    invocation gets a fresh target folder seeded from the project's, and without writing back every
    invocation parsed the whole project again (6 s) whenever the project's copy was made with another
    profile, and the folders piled up (4 MB each). `target` is absolute (dagster-dbt makes the
    subprocess's so)."""
    made = target / KEPT_PARSE.name
    if made.exists():
        staged = KEPT_PARSE.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(made, staged)
        os.replace(staged, KEPT_PARSE)  # atomic: a concurrent run reads the old file or the new one
    shutil.rmtree(target, ignore_errors=True)


class DbtBuildConfig(dg.Config):
    full_refresh: bool = Field(default=False, description="Rebuild the incremental models (call legs, calls, "
                                                          "events) from every row loaded, not only the new loads.")
    rebuild_from: str = Field(default="", description="With rebuild_through (YYYY-MM-DD, business-local, "
                              "inclusive): the days whose calls and events the incremental models derive again "
                              "from their rows, besides what changed (a backfill without a full refresh).")
    rebuild_through: str = Field(default="", description="The last day of rebuild_from's range.")

    def days_to_rebuild(self) -> dict[str, str]:
        """The dbt environment for the range of days to rebuild; a clear error for a half or bad range."""
        if not (self.rebuild_from or self.rebuild_through):
            return {}
        try:
            first, last = date.fromisoformat(self.rebuild_from), date.fromisoformat(self.rebuild_through)
        except ValueError:
            raise dg.Failure(f"rebuild_from and rebuild_through must both be dates YYYY-MM-DD, got "
                             f"{self.rebuild_from!r} and {self.rebuild_through!r}") from None
        if first > last:
            raise dg.Failure(f"rebuild_from {first} is after rebuild_through {last}")
        return {"SALESFUNNEL_REBUILD_FROM": first.isoformat(), "SALESFUNNEL_REBUILD_THROUGH": last.isoformat()}


def selected_nodes(selected_keys: AbstractSet[dg.AssetKey], manifest: dict) -> list[str]:
    """The unique ids of the models and seeds whose assets are selected."""
    translator = FolderGroupTranslator()
    return sorted(uid for uid, node in manifest["nodes"].items()
                  if node["resource_type"] in ("model", "seed")
                  and translator.get_asset_spec(manifest, uid, dbt_project).key in selected_keys)


def _incremental(manifest: dict, node_ids: list[str]) -> list[str]:
    """Those of `node_ids` that are incremental models (an entity-only run builds none)."""
    return [uid for uid in node_ids if manifest["nodes"][uid]["config"].get("materialized") == "incremental"]


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
           config: DbtBuildConfig):
    """`dbt build` of the selected models, seeds and tests, with the run's warehouse, time zone and as-of
    date in the environment; with --full-refresh when asked, on Spark (which overwrites its tables
    anyway), or when the basis of an incremental model it builds changed (pipelines/build_state.py).
    Staging tables whose raw tables and basis are as at their last build are left out (unchanged.py).
    On Spark the sources go out to it first and what it built comes back. The warehouse is opened
    around dbt only for those two (a step with neither, like the entity marts, does not wait for it)."""
    spark = warehouse.engine == "spark"
    env = {**warehouse.dbt_env(), **config.days_to_rebuild()}
    manifest = json.loads(ensure_manifest(dbt_project).read_text())
    selected = selected_nodes(context.selected_asset_keys, manifest)
    incremental = _incremental(manifest, selected)
    staging = {} if spark else unchanged.candidates(manifest, selected)
    why_whole: str | None = None
    states, left = {}, {}
    if incremental or spark or staging:
        with warehouse.connect() as con:
            ensure_basis_table(con)
            basis = incremental_basis(con, warehouse.build_settings())
            if incremental:
                through_load = last_load(con)
                why_whole = _why_built_whole(con, manifest, selected, incremental, basis)
            if spark:
                exchange = exchange_dir(Path(warehouse.path))
                export_tables(con, exchange, source_tables(manifest))
            states = loaded_tables_states(con, staging)
            if not config.full_refresh:
                left = unchanged.since_last_build(con, manifest, states, basis)
    full_refresh = config.full_refresh or spark or bool(why_whole)
    if why_whole and not (config.full_refresh or spark):
        context.log.info(f"full refresh: {why_whole}")
    if left:
        context.log.info("not rebuilt, no load into their raw tables since their last build and the same code "
                         f"and settings: {', '.join(uid.split('.')[-1] for uid in sorted(left))}")
        yield from unchanged.outputs(context, manifest, dbt_project, FolderGroupTranslator(), left)
    reported = set(left)
    # --no-write-json: dbt writes no manifest.json (twice) nor run_results.json, about 1.5 s a step; what
    # was built is known from dbt's events, checked against the selection below.
    args = ["build", "--no-write-json", *(["--full-refresh"] if full_refresh else []),
            *unchanged.exclude_args(manifest, left)]
    with _environ({**env, **({"SALESFUNNEL_DBT": DBT_EXECUTABLE} if spark else {})}):
        if spark:
            invocation = dbt.cli(args, context=context)
            target, events = invocation.target_path, invocation.stream()
        else:
            target = in_process.unique_target_path(context)
            events = in_process.build(args, context, dbt_project, manifest, FolderGroupTranslator(), target)
        for event in events:
            if isinstance(event, dg.Output):
                reported.add(getattr(event.metadata.get("unique_id"), "value", None))
            yield event
    _assert_every_build_reported(selected, reported)
    rebuilt = {uid: state for uid, state in states.items() if uid not in left}
    if incremental or spark or rebuilt:
        with warehouse.connect() as con:
            record_inputs(con, rebuilt, basis)
            if spark:
                built = built_tables(manifest, selected)
                import_tables(con, exchange, built)
                context.log.info(f"loaded {len(built)} tables built on Spark into the warehouse")
            if incremental:
                record_basis(con, incremental, basis, through_load)
                if not full_refresh:
                    context.log.info(_changed_subjects_note(con))
    _keep_partial_parse(target)


def _why_built_whole(con, manifest: dict, selected: list[str], incremental: list[str], basis: str) -> str | None:
    """Why the selected incremental models cannot take in only what changed, if they cannot."""
    stale = models_on_another_basis(con, incremental, basis)
    if stale:
        return (f"{', '.join(m.split('.')[-1] for m in stale)} were built from other code, settings or phone key "
                "(or never)")
    if built_apart(con, _incremental(manifest, list(manifest["nodes"]))):
        return ("the incremental models were last built apart (a run selected some of them), from different loads "
                "or as-of dates")
    missing = [m.split(".")[-1] for m in CHANGE_LISTS if m not in selected]
    if missing:
        return f"the selection leaves out {', '.join(missing)}, which list what an incremental build derives again"
    return None


def _changed_subjects_note(con) -> str:
    """What an incremental build derived again (intermediate.int_changed_subjects), for the run's log."""
    counts = dict(con.execute("SELECT subject_type, count(*) FROM intermediate.int_changed_subjects "
                              "GROUP BY subject_type").fetchall())
    listed = ", ".join(f"{counts.get(kind, 0):,} {kind}s" for kind in ("call", "deal", "lead"))
    return f"incremental: the events of {listed} derived again (int_changed_subjects)"


def _assert_every_build_reported(selected: list[str], reported: set[str | None]) -> None:
    """Fail the step when a model or seed of a successful dbt build (a failed one has already raised)
    never reached Dagster: its asset would stay unmaterialised, every step after it would be skipped and
    the run end "successful" without publishing. It happened when Spark wrote its progress bar into
    dbt's stream of JSON events."""
    missing = set(selected) - reported
    if missing:
        raise dg.Failure(f"dbt built {', '.join(sorted(missing))} but its events were lost on the way to "
                         "Dagster (did something else write to dbt's standard output?)")


def _dbt_step(name: str, select: str):
    @dbt_assets(manifest=ensure_manifest(dbt_project), project=dbt_project, select=select, name=name,
                dagster_dbt_translator=FolderGroupTranslator())
    def step(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
             config: DbtBuildConfig):
        yield from _build(context, dbt, warehouse, config)

    return step


dbt_models = _dbt_step("dbt_models", "tag:sales tag:entity_checks")
dbt_entity_marts = _dbt_step("dbt_entity_marts", f"tag:{ENTITY_MARTS_TAG}")


def keys_tagged(step: dg.AssetsDefinition, tag: str) -> list[dg.AssetKey]:
    """The asset keys of a dbt step's models with a dbt tag (dagster-dbt turns dbt tags into asset tags)."""
    return [spec.key for spec in step.specs if tag in (spec.tags or {})]


class PipelineDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two things it does before every `dbt build` that the pipeline does
    not need (about 6 s a step, twice a run): run `dbt --version` in a subprocess to learn the version
    (the dbt that DBT_CHILD becomes is the dbt-core installed here), and open a dbt adapter in this
    process, used only to fetch column metadata and row counts, which the pipeline never asks for.
    tests/test_definitions.py fails if dagster-dbt renames either hook."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    return PipelineDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_CHILD)


defs = dg.Definitions(assets=[dbt_models, dbt_entity_marts])
