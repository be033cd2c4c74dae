"""The demo generator: valid identifiers, determinism, scale, and data the pipeline accepts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import lei
from stdnum.ru import inn, ogrn

from pipelines.canonical import TABLES
from pipelines.demo import identifiers as ids
from pipelines.demo.generator import generate, write_demo_data
from pipelines.ingest.loader import connect, load_landing
from pipelines.ingest.mappings import MappingSet

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=st.integers(1, 200))
def test_generated_identifiers_pass_python_stdnum(seed, n):
    rng = np.random.default_rng(seed)
    assert all(inn.is_valid(v) and len(v) == 10 for v in ids.legal_entity_inns(rng, n))
    assert all(inn.is_valid(v) and len(v) == 12 for v in ids.person_inns(rng, n))
    assert all(ogrn.is_valid(v) and len(v) == 13 for v in ids.ogrns(rng, n))
    assert all(ogrn.is_valid(v) and len(v) == 15 for v in ids.ogrnips(rng, n))
    assert all(lei.is_valid(v) for v in ids.leis(rng, n))


@settings(max_examples=30, deadline=None)
@given(seed=seeds, n=st.integers(1, 200))
def test_a_typo_in_the_check_digit_is_always_caught(seed, n):
    rng = np.random.default_rng(seed)
    assert not any(inn.is_valid(v) for v in ids.corrupt_last_digit(rng, ids.legal_entity_inns(rng, n)))


def test_kpp_follows_the_inn_tax_office():
    assert list(ids.kpps(np.array(["7707083893", "500100732259"]))) == ["770701001", "500101001"]


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = generate(0.002, seed=7), generate(0.002, seed=7), generate(0.002, seed=8)
    for table in TABLES:
        pd.testing.assert_frame_equal(a[table], b[table])
    assert not a["calls"].equals(c["calls"])


def test_tables_have_the_canonical_columns_and_scale():
    small, larger = generate(0.002), generate(0.01)
    for table, spec in TABLES.items():
        assert list(small[table].columns) == list(spec.column_names), table
    assert len(larger["calls"]) > 4 * len(small["calls"])
    assert 9_000 < len(larger["calls"]) < 11_000


def test_demo_data_reads_the_funnel_as_the_seed_describes(tmp_path):
    tables = generate(0.02, seed=3)
    stages = tables["deal_stages"]
    assert set(stages.stage) == {"meeting_scheduled", "meeting_held", "proposal_sent", "contract_signed", "paid",
                                 "lost"}
    assert "wants_wholesale" in set(stages.loss_reason)
    analyses = tables["entity_analyses"].assign(
        days=lambda f: (pd.to_datetime(f.completed_at) - pd.to_datetime(f.requested_at)).dt.days)
    assert 35 < analyses.days.mean() < 50  # about six weeks, as the survey says


def test_files_load_with_only_the_planted_defects_quarantined(tmp_path):
    counts = write_demo_data(tmp_path / "landing", scale=0.01, seed=5)
    con = connect(tmp_path / "w.duckdb", "Europe/Moscow")
    report = load_landing(con, tmp_path / "landing", MappingSet.load([]))
    assert not report.rejected
    for table in TABLES:
        [load] = report.for_table(table)
        assert load.rows_in == counts[table]
        if table != "calls":
            assert (load.rows_duplicate, load.rows_quarantined) == (0, 0), table
    reasons = {r for (r,) in con.execute("SELECT DISTINCT split_part(reason, ':', 1) FROM raw._quarantine").fetchall()}
    con.close()
    assert reasons == {"bad timestamp in started_at", "unknown disposition"}
