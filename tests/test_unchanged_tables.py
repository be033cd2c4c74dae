"""Which seeds and staging tables a dbt step may leave as they are (pipelines/transform/unchanged.py): on
a small manifest of the shape dbt writes, and on the project's own."""

from __future__ import annotations

import json

from pipelines.transform import unchanged
from pipelines.transform.project import dbt_project, ensure_manifest


def node(kind: str, parents: list[str], materialized: str = "table") -> dict:
    return {"resource_type": kind, "depends_on": {"nodes": parents}, "config": {"materialized": materialized},
            "fqn": ["p", parents[0] if parents else "x"], "schema": "staging", "alias": "t"}


SOURCES = {f"source.p.raw.{t}": {"schema": "raw", "identifier": t} for t in ("clients", "calls", "deals")}


def manifest(**nodes: dict) -> dict:
    return {"nodes": {f"{n['resource_type']}.p.{name}": n
                      for name, n in nodes.items()}, "sources": SOURCES}


def test_tables_reading_only_sources_and_seeds_are_candidates_with_the_raw_tables_they_read():
    m = manifest(catalog=node("seed", []),
                 stg_clients=node("model", ["source.p.raw.clients"]),
                 stg_deals=node("model", ["source.p.raw.deals", "seed.p.catalog"]),
                 stg_calls=node("model", ["source.p.raw.calls"], materialized="incremental"),
                 int_deals=node("model", ["model.p.stg_deals"]),
                 stg_view=node("model", ["source.p.raw.clients"], materialized="view"))
    found = unchanged.candidates(m, [uid for uid in m["nodes"]])
    assert found == {"seed.p.catalog": [], "model.p.stg_clients": ["raw.clients"],
                     "model.p.stg_deals": ["raw.deals"]}


def test_a_table_whose_test_reads_a_rebuilt_model_is_not_a_candidate_nor_what_reads_its_seed():
    m = manifest(catalog=node("seed", []),
                 stg_deals=node("model", ["source.p.raw.deals", "seed.p.catalog"]),
                 stg_clients=node("model", ["source.p.raw.clients"]),
                 int_deals=node("model", ["model.p.stg_deals"]),
                 relationships=node("test", ["model.p.int_deals", "seed.p.catalog"]),
                 unique=node("test", ["model.p.stg_clients"]))
    # --exclude would drop the test of int_deals with the seed; without the seed, stg_deals must wait
    # for it (Dagster takes a table as current only after its parents)
    assert unchanged.candidates(m, list(m["nodes"])) == {"model.p.stg_clients": ["raw.clients"]}


def test_only_selected_nodes_are_candidates():
    m = manifest(stg_clients=node("model", ["source.p.raw.clients"]))
    assert unchanged.candidates(m, []) == {}


def test_the_projects_candidates_are_its_staging_tables_and_seeds_never_an_incremental_model():
    m = json.loads(ensure_manifest(dbt_project).read_text())
    selected = [uid for uid, n in m["nodes"].items() if n["resource_type"] in ("model", "seed")]
    found = unchanged.candidates(m, selected)
    assert "model.salesfunnel.stg_clients" in found and "model.salesfunnel.stg_deal_stages" in found
    assert found["model.salesfunnel.stg_client_phones"] == ["raw.clients", "raw.phone_numbers"]
    assert all(m["nodes"][uid]["config"]["materialized"] != "incremental" for uid in found)
    assert not any(uid.startswith(("model.salesfunnel.int_", "model.salesfunnel.fct_")) for uid in found)
    excluded = unchanged.exclude_args(m, dict.fromkeys(found))
    assert excluded[0] == "--exclude" and "fqn:salesfunnel.staging.sales.stg_clients" in excluded[1].split()
