"""Bad input never blocks good input: each malformed file of the suite (tests/bad_inputs.py) meets its
expected fate with every row accounted for, and a run over the worked example plus any of them exits 0
with the worked example's marts."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.__main__ import main
from pipelines.canonical import TABLES
from pipelines.ingest.loader import connect, load_landing
from pipelines.ingest.mappings import MappingSet
from pipelines.runner import run_refresh
from pipelines.settings import Settings
from tests.bad_inputs import BAD_INPUTS, BadInput, write_bad_inputs
from tests.conftest import WORKED_AS_OF, WORKED_EXAMPLE

MAPPINGS = MappingSet.load([])


def test_the_suite_is_large_and_varied():
    assert len(BAD_INPUTS) >= 40
    assert len({b.name for b in BAD_INPUTS}) == len(BAD_INPUTS)
    assert {b.status for b in BAD_INPUTS} == {"loaded", "rejected"}


@pytest.fixture(scope="module")
def loaded_worked_example(tmp_path_factory) -> Path:
    """A warehouse holding the worked example's rows, copied for each case."""
    warehouse = tmp_path_factory.mktemp("base") / "w.duckdb"
    con = connect(warehouse, "Europe/Moscow")
    assert not load_landing(con, WORKED_EXAMPLE, MAPPINGS).rejected
    con.execute("CHECKPOINT")
    con.close()
    return warehouse


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[b.name for b in BAD_INPUTS])
def test_each_bad_input_meets_its_fate_with_every_row_accounted(bad: BadInput, loaded_worked_example, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(loaded_worked_example, warehouse)
    landing = tmp_path / "landing"
    write_bad_inputs(landing, [bad])
    con = connect(warehouse, "Europe/Moscow")
    report = load_landing(con, landing, MAPPINGS)
    [load] = [f for f in report.loads if f.file_name == bad.name]
    assert load.status == bad.status, load.reason
    ledger = con.execute("SELECT status, rows_in, rows_loaded, rows_duplicate, rows_quarantined, rows_filtered, "
                         "reason FROM raw._load_ledger WHERE file_name = ?", [bad.name]).fetchall()
    assert len(ledger) == 1
    if bad.status == "rejected":
        assert bad.reason in load.reason
        assert ledger[0][0] == "rejected" and bad.reason in ledger[0][6]
        assert "\n" not in load.reason  # one line, no stack trace
    else:
        assert (load.rows_in, load.rows_loaded, load.rows_duplicate, load.rows_quarantined) == bad.counts
        assert load.balanced and ledger[0][1:6] == (*bad.counts, 0)
        reasons = [r for (r,) in con.execute("SELECT reason FROM raw._quarantine WHERE file_name = ?",
                                             [bad.name]).fetchall()]
        assert len(reasons) == bad.counts[3]
        assert all(bad.reason in r for r in reasons), reasons
    con.close()


def test_decoded_text_survives_encodings_and_quoting(loaded_worked_example, tmp_path):
    landing = tmp_path / "landing"
    write_bad_inputs(landing, [b for b in BAD_INPUTS if b.table == "clients"])
    con = connect(tmp_path / "w.duckdb", "Europe/Moscow")
    load_landing(con, landing, MAPPINGS)
    names = dict(con.execute("SELECT client_id, name FROM raw.clients").fetchall())
    lines = dict(con.execute("SELECT client_id, _line FROM raw.clients").fetchall())
    con.close()
    assert (names["C901"], names["C902"], names["C903"]) == ("ООО «Ромашка»", "ООО «Лютик»", "ООО «Василёк»")
    assert names["C905"] == 'ООО "Две\nстроки"' and lines["C906"] == 4  # the line after the two-line record
    assert names["C907"] == '=HYPERLINK("http://x.example","y")'  # stored as sent; neutralised on the way out


def snapshot(warehouse: Path) -> dict[str, list[str]]:
    """Every mart's rows; of dim_clients the worked example's clients (new clients without events are
    allowed in, and change no number)."""
    worked_clients = [line.split(",")[0] for line in (WORKED_EXAMPLE / "clients.csv").read_text().splitlines()[1:]]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'marts' ORDER BY 1").fetchall()]
        taken = {}
        for mart in marts:
            where = f"WHERE client_id IN ({', '.join(repr(c) for c in worked_clients)})" if mart == "dim_clients" \
                else ""
            taken[mart] = sorted(map(repr, con.execute(f"SELECT * FROM marts.{mart} {where}").fetchall()))
    return taken


@pytest.fixture(scope="module")
def clean_marts(worked_run, worked_settings) -> dict[str, list[str]]:
    return snapshot(worked_settings.warehouse)


def _landing_with(tmp_path: Path, bad: list[BadInput]) -> Path:
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    write_bad_inputs(landing, bad)
    return landing


def test_worked_example_plus_every_bad_input_exits_0_with_the_worked_example_marts(clean_marts, tmp_path, capsys):
    landing = _landing_with(tmp_path, BAD_INPUTS)
    warehouse = tmp_path / "w.duckdb"
    assert main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of",
                 WORKED_AS_OF.isoformat()]) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    rejected = {b.name for b in BAD_INPUTS if b.status == "rejected"}
    assert {line.split(": ")[1] for line in printed.out.splitlines() if line.startswith("rejected: ")} == rejected
    assert snapshot(warehouse) == clean_marts
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger = con.execute("SELECT file_name, status, rows_in, rows_loaded + rows_duplicate + rows_quarantined "
                             "+ rows_filtered FROM raw._load_ledger").fetchall()
    by_file = {}
    for name, status, rows_in, accounted in ledger:
        by_file.setdefault(name, set()).add(status)
        assert rows_in == accounted or status == "rejected", name
    assert set(by_file) == {b.name for b in BAD_INPUTS} | {p.name for p in WORKED_EXAMPLE.iterdir()}
    assert {name for name, statuses in by_file.items() if "rejected" in statuses} == rejected


canonical_names = st.sampled_from(sorted(TABLES)).map(lambda t: f"{t}__fuzz.csv")
fuzz_files = st.tuples(canonical_names, st.one_of(
    st.binary(max_size=300),
    st.lists(st.text(max_size=40), max_size=6).map(lambda lines: "\n".join([HEADER_OF_ANY, *lines]).encode()),
))
HEADER_OF_ANY = "call_id,started_at,direction,disposition,deal_id,stage,client_id,lead_id,created_at,status"


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(chosen=st.lists(st.sampled_from(BAD_INPUTS), min_size=1, max_size=6, unique_by=lambda b: b.name),
       fuzz=fuzz_files)
def test_a_bad_file_beside_good_ones_never_changes_their_marts(clean_marts, tmp_path_factory, chosen, fuzz):
    tmp_path = tmp_path_factory.mktemp("property")
    landing = _landing_with(tmp_path, chosen)
    name, content = fuzz
    (landing / name).write_bytes(content)
    settings_ = Settings(landing=landing, warehouse=tmp_path / "w.duckdb", as_of=WORKED_AS_OF)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_refresh(settings_, instance=instance, log_level="ERROR").success
    assert snapshot(settings_.warehouse) == clean_marts
