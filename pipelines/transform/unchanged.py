"""Staging tables whose inputs have not changed since their last build are not built again.

A staging table (a table model that reads only sources and seeds: `stg_clients`, `stg_deal_stages`, the
personal names...) is a function of its raw tables, the seeds, the time zone and the code. When none of
its raw tables has had a load since its last build and the basis (code, settings, libraries, phone
settings: pipelines/build_state.py) is the same, building it again writes the same rows: a night that
brings only calls leaves the clients, deals, leads and identifiers as they were. The dbt step leaves
such tables out of `dbt build`, with their tests (whose results cannot differ either), and reports
them to Dagster as current, saying since when they are unchanged. A full refresh builds them all.

Incremental models are not among them: with nothing new they take in nothing, and their recorded
loads must stay one list (pipelines/build_state.py). A table with a test that also reads a model
outside this set is always built: dbt's `--exclude` drops every test with an excluded parent, and that
test's other parent may have changed.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtProject

from pipelines.build_state import unchanged_since
from pipelines.transform.spark_exchange import built_tables


def _sources_read(manifest: Mapping[str, Any], uid: str) -> list[str] | None:
    """The raw tables (schema.table) a seed (none) or a model reading only sources and seeds reads, else
    None."""
    node = manifest["nodes"][uid]
    if node["resource_type"] == "seed":
        return []
    parents = node["depends_on"]["nodes"]
    if node["resource_type"] != "model" or node["config"].get("materialized") != "table" \
            or not all(p.startswith(("source.", "seed.")) for p in parents):
        return None
    return [f"{manifest['sources'][p]['schema']}.{manifest['sources'][p]['identifier']}"
            for p in parents if p.startswith("source.")]


def _node_parents(manifest: Mapping[str, Any], uid: str) -> list[str]:
    """The models and seeds a node reads (not its sources)."""
    return [p for p in manifest["nodes"][uid]["depends_on"].get("nodes", []) if not p.startswith("source.")]


def candidates(manifest: Mapping[str, Any], selected: list[str]) -> dict[str, list[str]]:
    """The selected seeds and staging tables that can be left as they are when unchanged, with the raw
    tables each reads. A seed is the code's (part of the basis). Left out are those whose seed is not a
    candidate (Dagster takes a table as current only after its parents) and those with a test that reads
    a node outside the set."""
    found = {uid: sources for uid in selected if (sources := _sources_read(manifest, uid)) is not None}
    tests = [n["depends_on"]["nodes"] for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    while True:  # leaving one out can leave another with a parent or a test outside the set
        outside = {uid for uid in found if not set(_node_parents(manifest, uid)) <= set(found)}
        outside |= {p for parents in tests if not set(parents) <= set(found) for p in parents if p in found}
        if not outside:
            return found
        for uid in outside:
            del found[uid]


def since_last_build(con: duckdb.DuckDBPyConnection, manifest: Mapping[str, Any], states: dict[str, str],
                     basis: str) -> dict:
    """Those of the candidates with these input states last built from the same inputs on the same basis,
    with when that was."""
    tables = {uid: (state, ".".join(built_tables(manifest, [uid])[0])) for uid, state in states.items()}
    return unchanged_since(con, tables, basis)


def exclude_args(manifest: Mapping[str, Any], left: Mapping[str, Any]) -> list[str]:
    """dbt's arguments that leave these models (and their tests) out of the build."""
    if not left:
        return []
    return ["--exclude", " ".join("fqn:" + ".".join(manifest["nodes"][uid]["fqn"]) for uid in sorted(left))]


def outputs(context: dg.AssetExecutionContext, manifest: Mapping[str, Any], project: DbtProject,
            translator: DagsterDbtTranslator, left: Mapping[str, Any]) -> Iterator[dg.Output]:
    """The tables left as they are, reported as current (seeds first, as Dagster wants parents before
    children): the steps downstream of them run as usual."""
    for uid, built_at in sorted(left.items(), key=lambda item: (not item[0].startswith("seed."), item[0])):
        key = translator.get_asset_spec(manifest, uid, project).key
        yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key), metadata={
            "unique_id": uid, "rebuilt": False,
            "unchanged_since": dg.MetadataValue.timestamp(built_at),
        })
