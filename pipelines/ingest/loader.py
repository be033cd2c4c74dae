"""Load landed CSV/Parquet files into the warehouse's `raw` schema, with a ledger and a quarantine.

One file is one transaction: its rows are read by DuckDB as text, typed and checked against the
canonical rules (`pipelines.canonical`), and split three ways: loaded, exact duplicates (counted, not
stored again) and quarantined (stored in `raw._quarantine` with file, line and reason). A file whose
sha256 is already in `raw._load_ledger` for the table is skipped, so loading it twice changes nothing.

`raw.<table>` keeps every version of a key that differed in content; staging picks the latest one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.canonical import TABLES, Column, Table

SUPPORTED_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".parquet")
RAW_SCHEMA = "raw"
_SQL_TYPES = {"text": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "integer": "BIGINT",
              "number": "DOUBLE"}
_SEP = "chr(31)"  # unit separator: cannot occur in a trimmed CSV field by accident


class IngestError(Exception):
    """A file that cannot be loaded at all (unreadable, or missing a required column)."""


@dataclass(frozen=True)
class FileLoad:
    table: str
    file_name: str
    sha256: str
    status: str  # loaded | skipped (same content already loaded)
    load_id: int | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    ignored_columns: str = ""


def landed_files(landing: Path, table: str) -> list[Path]:
    """Files for `table` in the landing folder: `<table>.<ext>` or `<table>__<anything>.<ext>`."""
    found = []
    for path in sorted(Path(landing).iterdir()) if Path(landing).is_dir() else []:
        name = path.name
        suffix = next((s for s in SUPPORTED_SUFFIXES if name.endswith(s)), None)
        if path.is_file() and suffix:
            stem = name[: -len(suffix)]
            if stem == table or stem.startswith(f"{table}__"):
                found.append(path)
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def connect(warehouse: Path, business_tz: str) -> duckdb.DuckDBPyConnection:
    """A connection whose session time zone is the business one: timestamps without an offset are
    read as business-local time, as metrics.md section 1 says."""
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    con.execute("SET TimeZone = ?", [business_tz])
    ensure_raw_schema(con)
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._load_ledger (
            load_id BIGINT, table_name VARCHAR, file_name VARCHAR, file_sha256 VARCHAR,
            loaded_at TIMESTAMP, rows_in BIGINT, rows_loaded BIGINT, rows_duplicate BIGINT,
            rows_quarantined BIGINT)""")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._quarantine (
            load_id BIGINT, table_name VARCHAR, file_name VARCHAR, line BIGINT, reason VARCHAR,
            record VARCHAR)""")
    for table in TABLES.values():
        cols = ", ".join(f"{c.name} {_SQL_TYPES[c.kind]}" for c in table.columns)
        con.execute(f"""
            CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table.name} (
                {cols}, _load_id BIGINT, _file VARCHAR, _line BIGINT, _row_hash VARCHAR)""")


def load_files(con: duckdb.DuckDBPyConnection, table_name: str, files: list[Path]) -> list[FileLoad]:
    """Load each file of one table; file-level errors are raised after the other files are in."""
    table = TABLES[table_name]
    loads, errors = [], []
    for path in files:
        try:
            loads.append(load_file(con, table, Path(path)))
        except IngestError as exc:
            errors.append(str(exc))
    if errors:
        raise IngestError("; ".join(errors))
    return loads


def load_file(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> FileLoad:
    sha = file_sha256(path)
    seen = _scalar(con, f"SELECT count(*) FROM {RAW_SCHEMA}._load_ledger WHERE table_name = ? AND file_sha256 = ?",
                   [table.name, sha])
    if seen:
        return FileLoad(table.name, path.name, sha, "skipped")

    present = _read_as_text(con, path)  # temp tables only: outside the transaction
    con.execute("BEGIN TRANSACTION")
    try:
        load = _load_new_file(con, table, path, sha, present)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return load


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    # fetchall, not fetchone: DuckDB 2 refuses new work on a connection with an unfinished result.
    return con.execute(sql, params or []).fetchall()[0][0]


def _load_new_file(con: duckdb.DuckDBPyConnection, table: Table, path: Path, sha: str,
                   present: set[str]) -> FileLoad:
    missing = [c for c in table.required_columns if c not in present]
    if missing:
        raise IngestError(
            f"{path.name}: missing required column(s) {', '.join(missing)} for table {table.name}; "
            f"the file has {', '.join(sorted(present)) or 'no columns'}")
    ignored = sorted(set(present) - set(table.column_names))

    load_id = _scalar(con, f"SELECT coalesce(max(load_id), 0) + 1 FROM {RAW_SCHEMA}._load_ledger")
    con.execute(_checked_sql(table, present))
    typed_cols = ", ".join(table.column_names)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _classified AS
        SELECT *,
            CASE
                WHEN _reason IS NOT NULL THEN 'quarantined'
                WHEN row_number() OVER (PARTITION BY _row_hash, _reason IS NULL ORDER BY _line) > 1
                    THEN 'duplicate'
                WHEN _row_hash IN (SELECT _row_hash FROM {RAW_SCHEMA}.{table.name}) THEN 'duplicate'
                ELSE 'loaded'
            END AS _fate
        FROM _checked""")
    con.execute(f"""
        INSERT INTO {RAW_SCHEMA}.{table.name}
        SELECT {typed_cols}, ?, ?, _line, _row_hash FROM _classified WHERE _fate = 'loaded'
        ORDER BY _line""", [load_id, path.name])
    con.execute(f"""
        INSERT INTO {RAW_SCHEMA}._quarantine
        SELECT ?, ?, ?, _line, _reason, _record FROM _classified WHERE _fate = 'quarantined'
        UNION ALL
        SELECT ?, ?, ?, line, string_agg(DISTINCT error_type || ': ' || error_message, '; '),
               any_value(csv_line)
        FROM _text_rejects GROUP BY line""",
                [load_id, table.name, path.name] * 2)
    # Each count is taken where the rows are: read from the file, stored in raw, stored in quarantine.
    # So the `rows_accounted` check can catch a row lost between classification and storage.
    load = FileLoad(
        table=table.name, file_name=path.name, sha256=sha, status="loaded", load_id=load_id,
        rows_in=_scalar(con, "SELECT count(*) FROM _landed")
        + _scalar(con, "SELECT count(DISTINCT line) FROM _text_rejects"),
        rows_loaded=_scalar(con, f"SELECT count(*) FROM {RAW_SCHEMA}.{table.name} WHERE _load_id = ?", [load_id]),
        rows_duplicate=_scalar(con, "SELECT count(*) FROM _classified WHERE _fate = 'duplicate'"),
        rows_quarantined=_scalar(con, f"SELECT count(*) FROM {RAW_SCHEMA}._quarantine WHERE load_id = ?", [load_id]),
        ignored_columns=", ".join(ignored),
    )
    con.execute(
        f"INSERT INTO {RAW_SCHEMA}._load_ledger VALUES (?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?)",
        [load_id, table.name, path.name, sha, load.rows_in, load.rows_loaded, load.rows_duplicate,
         load.rows_quarantined])
    return load


def _read_as_text(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """Read a file into temp table `_landed` (all text, `_line` = line in the file, header = 1) and
    structurally broken CSV lines into `_text_rejects`. Returns the file's (normalised) column names."""
    con.execute("CREATE OR REPLACE TEMP TABLE _text_rejects "
                "(line BIGINT, error_type VARCHAR, error_message VARCHAR, csv_line VARCHAR)")
    try:
        if path.name.endswith(".parquet"):
            con.execute("CREATE OR REPLACE TEMP TABLE _raw_read AS "
                        "SELECT * FROM read_parquet(?, file_row_number = true)", [str(path)])
            columns = _normalised_columns(con, exclude="file_row_number")
            casts = ", ".join(f'CAST("{src}" AS VARCHAR) AS {dst}' for src, dst in columns)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _landed AS "
                        f"SELECT {casts}, file_row_number + 1 AS _line FROM _raw_read")
        else:
            con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
            con.execute("CREATE OR REPLACE TEMP TABLE _raw_read AS SELECT * FROM read_csv(?, header = true, "
                        "all_varchar = true, store_rejects = true)", [str(path)])
            con.execute("INSERT INTO _text_rejects SELECT line, CAST(error_type AS VARCHAR), error_message, "
                        "csv_line FROM reject_errors")
            columns = _normalised_columns(con)
            # DuckDB keeps insertion order, so rowid order is the order of the good lines in the file;
            # the lines it skipped are in reject_errors. The n-th good row sits on the n-th unrejected line.
            casts = ", ".join(f'r."{src}" AS {dst}' for src, dst in columns)
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _landed AS
                WITH good_lines AS (
                    SELECT line, row_number() OVER (ORDER BY line) - 1 AS pos
                    FROM range(2, 2 + (SELECT count(*) FROM _raw_read)
                                    + (SELECT count(DISTINCT line) FROM _text_rejects)) AS t(line)
                    WHERE line NOT IN (SELECT line FROM _text_rejects)
                ), good_rows AS (
                    SELECT *, row_number() OVER (ORDER BY rowid) - 1 AS pos FROM _raw_read
                )
                SELECT {casts}, g.line AS _line
                FROM good_rows AS r JOIN good_lines AS g ON r.pos = g.pos""")
    except duckdb.Error as exc:
        raise IngestError(f"{path.name}: cannot be read ({exc})") from exc
    return {dst for _, dst in columns}


def _normalised_columns(con: duckdb.DuckDBPyConnection, exclude: str | None = None) -> list[tuple[str, str]]:
    names = [row[0] for row in con.execute("DESCRIBE _raw_read").fetchall() if row[0] != exclude]
    return [(name, name.strip().lower().replace(" ", "_")) for name in names]


def _normalised(col: Column, present: set[str]) -> str:
    if col.name not in present:
        return "CAST(NULL AS VARCHAR)"
    expr = f"nullif(trim({col.name}), '')"
    return f"{col.case}({expr})" if col.case else expr


def _typed(col: Column) -> str:
    v = f"_v_{col.name}"
    return {
        "text": v,
        # The session time zone is the business one, so a value without an offset is read as
        # business-local time; everything is stored as UTC without a zone.
        "timestamp": f"timezone('UTC', try_cast({v} AS TIMESTAMPTZ))",
        "date": f"try_cast({v} AS DATE)",
        "integer": f"try_cast({v} AS BIGINT)",
        "number": f"try_cast({v} AS DOUBLE)",
    }[col.kind]


def _problems(table: Table) -> list[str]:
    problems = []
    for col in table.columns:
        v = f"_v_{col.name}"
        if col.required:
            problems.append(f"CASE WHEN {v} IS NULL THEN 'missing {col.name}' END")
        if col.kind != "text":
            problems.append(f"CASE WHEN {v} IS NOT NULL AND {col.name} IS NULL "
                            f"THEN 'bad {col.kind} in {col.name}: ' || {v} END")
        if col.accepted:
            allowed = ", ".join("'" + a.replace("'", "''") + "'" for a in col.accepted)
            problems.append(f"CASE WHEN {v} NOT IN ({allowed}) THEN 'unknown {col.name}: ' || {v} END")
    problems += [f"CASE WHEN coalesce({rule.violated}, false) THEN '{rule.reason}' END" for rule in table.rules]
    return problems


def _checked_sql(table: Table, present: set[str]) -> str:
    normalised = ", ".join(f"{_normalised(c, present)} AS _v_{c.name}" for c in table.columns)
    typed = ", ".join(f"{_typed(c)} AS {c.name}" for c in table.columns)
    record = ", ".join(f"'{name}': \"{name}\"" for name in sorted(present))
    row_hash = f" || {_SEP} || ".join(f"coalesce(CAST({c.name} AS VARCHAR), chr(0))" for c in table.columns)
    return f"""
        CREATE OR REPLACE TEMP TABLE _checked AS
        WITH normalised AS (
            SELECT _line, CAST(to_json({{{record}}}) AS VARCHAR) AS _record, {normalised} FROM _landed
        ), typed AS (
            SELECT *, {typed} FROM normalised
        )
        SELECT {", ".join(table.column_names)}, _line, _record,
               nullif(concat_ws('; ', {", ".join(_problems(table))}), '') AS _reason,
               md5({row_hash}) AS _row_hash
        FROM typed"""
