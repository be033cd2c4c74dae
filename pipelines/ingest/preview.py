"""What a run would do with one file, without loading it: which mapping reads it and how, its first rows
as canonical rows, and the rows it would quarantine or filter, with their reasons.

The file goes through the very code a run uses (`load_path`), into an in-memory DuckDB that is thrown
away, so the preview cannot disagree with the run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from pipelines.canonical import TABLES
from pipelines.ingest.loader import RAW_SCHEMA, ensure_raw_schema, load_path, route
from pipelines.ingest.mappings import MappingSet


def _describe_mapping(mappings: MappingSet, name: str) -> str:
    mapping = next((m for m in mappings.mappings if m.name == name), None)
    if mapping is None:
        return name
    where = f" ({mapping.origin})" if mapping.origin else " (built in)"
    return f"{mapping.name}{where}: {mapping.description}" if mapping.description else f"{mapping.name}{where}"


def preview(path: Path, mappings: MappingSet, business_tz: str, rows: int = 10) -> tuple[bool, str]:
    """(would the file be accepted, the report to print)."""
    path = Path(path)
    out = [f"file:    {path}"]
    candidates = route(path, mappings)
    if not candidates:
        out.append(f"no mapping matches the name {path.name!r}: canonical files are named <table>.csv or "
                   f"<table>__<anything>.csv (tables: {', '.join(TABLES)}); other exports need a mapping "
                   "(sources/README.md)")
        return False, "\n".join(out)
    out.append("tried:   " + ", ".join(m.name for m in candidates))
    out.append(f"times:   in {business_tz} (--tz)")
    with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="preview-") as scratch:
        con.execute("SET TimeZone = ?", [business_tz])
        ensure_raw_schema(con)
        loads = load_path(con, path, candidates, workdir=Path(scratch))
        if loads and loads[0].status == "rejected":
            out.append(f"rejected: {loads[0].reason}")
            return False, "\n".join(out)
        out.append(f"mapping: {_describe_mapping(mappings, loads[0].source)}")
        out.append(f"read:    {loads[0].notes}")
        for load in loads:
            table = TABLES[load.table]
            out += ["", f"table {load.table}: {load.rows_in} row(s) in: {load.rows_loaded} would load, "
                        f"{load.rows_duplicate} duplicate, {load.rows_quarantined} quarantined, "
                        f"{load.rows_filtered} filtered"]
            if load.ignored_columns:
                out.append(f"columns not in {load.table} (ignored): {load.ignored_columns}")
            # Times as the business sees them (stored in UTC).
            columns = ", ".join(f"timezone('UTC', {c.name}) AS {c.name}" if c.kind == "timestamp" else c.name
                                for c in table.columns)
            shown = con.sql(f"SELECT _line AS line, {columns} FROM {RAW_SCHEMA}.{load.table} "
                            f"ORDER BY _line LIMIT {rows}").df()
            shown = shown.astype(object).where(shown.notna(), "")
            out.append(shown.to_string(index=False, max_colwidth=40) if len(shown) else "(no rows)")
            problems = con.execute(f"""
                SELECT reason, count(*), string_agg(CAST(line AS VARCHAR), ', ' ORDER BY line)
                FROM (SELECT * FROM {RAW_SCHEMA}._quarantine WHERE table_name = ? ORDER BY line)
                GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 20""", [load.table]).fetchall()
            if problems:
                out.append("would be quarantined:")
                out += [f"  {n:>6}  {reason}  (line {_first(lines)})" for reason, n, lines in problems]
    return True, "\n".join(out)


def _first(lines: str, shown: int = 5) -> str:
    parts = lines.split(", ")
    return ", ".join(parts[:shown]) + (f" and {len(parts) - shown} more" if len(parts) > shown else "")
