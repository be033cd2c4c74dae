"""Property: whatever mix of good, duplicated and broken rows a file holds, every row is accounted for
and exactly the broken ones are quarantined."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.loader import connect, load_file
from pipelines.ingest.mappings import MappingSet

HEADER = "call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome"
BREAKAGES = {
    "missing_key": lambda i: ",2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,ANSWERED,10,",
    "bad_timestamp": lambda i: f"B{i},2026-13-45T99:00:00,outbound,E1,C1,+7,ANSWERED,10,",
    "unknown_disposition": lambda i: f"B{i},2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,RINGING,0,",
    "negative_duration": lambda i: f"B{i},2026-03-02T10:00:00+03:00,inbound,E1,C1,+7,ANSWERED,-5,",
    "too_many_columns": lambda i: f"B{i},2026-03-02T10:00:00+03:00,outbound,E1,C1,+7,BUSY,0,,extra",
}
row_kinds = st.one_of(st.just("good"), st.just("duplicate"), st.sampled_from(sorted(BREAKAGES)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(row_kinds, min_size=1, max_size=30), minute=st.integers(0, 59))
def test_every_row_is_loaded_duplicate_or_quarantined(kinds, minute):
    lines, good = [], []
    for i, kind in enumerate(kinds):
        if kind == "good" or (kind == "duplicate" and not good):
            good.append(f"G{i},2026-03-02T10:{minute:02d}:00+03:00,outbound,E1,C1,+7,ANSWERED,30,callback")
            lines.append(good[-1])
        elif kind == "duplicate":
            lines.append(good[0])
        else:
            lines.append(BREAKAGES[kind](i))
    broken = sum(kind in BREAKAGES for kind in kinds)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calls.csv"
        path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
        con = connect(Path(folder) / "w.duckdb", "Europe/Moscow")
        [load] = load_file(con, path, MappingSet.load([]))
        quarantined = con.execute("SELECT line FROM raw._quarantine ORDER BY line").fetchall()
        quarantined_lines = [line for (line,) in quarantined]
        con.close()
    assert load.rows_in == len(lines)
    assert load.rows_in == load.rows_loaded + load.rows_duplicate + load.rows_quarantined
    assert (load.rows_loaded, load.rows_duplicate, load.rows_quarantined) == (
        len(good), len(lines) - len(good) - broken, broken)
    assert quarantined_lines == [i + 2 for i, line in enumerate(lines) if line.startswith(("B", ","))]
