"""Load landed files into the warehouse's `raw` schema, with a ledger and a quarantine.

Each file in the landing folder is routed to the first mapping (`pipelines/ingest/mappings.py`) that
matches its name and can read it; its records become canonical rows (`translate.py`), which are typed,
checked against the canonical rules and split four ways: loaded, exact duplicates (counted, not stored
again), quarantined (stored in `raw._quarantine` with file, line and reason) and filtered (dropped by a
row filter of the mapping, counted). One file is one transaction. A file that cannot be read or mapped,
or that no mapping claims, is rejected whole: one ledger row with its reason, nothing else changes and
every other file loads. A file whose content (and mapping) is already in `raw._load_ledger` is skipped,
so loading it twice changes nothing.

`raw.<table>` keeps every version of a key that differed in content; staging picks the latest one.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.canonical import STAGE_ORDER_TOLERANCE, TABLES, Table, stage_catalog
from pipelines.ingest.mappings import (
    DATA_SUFFIXES,
    Lookup,
    MappingSet,
    SourceMapping,
    TableMapping,
    normalise_name,
)
from pipelines.ingest.reading import Rejected, SourceRead, read_source, refuse_outright, sql_ident, sql_text
from pipelines.ingest.translate import SQL_TYPES, MappingSqlError, checked_rows_sql, lookup_table
from pipelines.settings import duckdb_memory_limit

RAW_SCHEMA = "raw"
# The files whose latest ledger row is a rejection, as they stand now (the report counts them; the build
# fingerprint lists them).
REJECTED_FILES_SQL = f"""
    SELECT file_name FROM (SELECT file_name, arg_max(status, load_id) AS last_status
                           FROM {RAW_SCHEMA}._load_ledger GROUP BY file_name)
    WHERE last_status = 'rejected'"""
# Names of files still being written by a copy, a browser or an editor: left alone until renamed.
IN_PROGRESS = ("*.part", "*.partial", "*.tmp", "*.crdownload", "*.download", "~$*", "*~", "*.swp")
_LEDGER_COLUMNS = {
    "load_id": "BIGINT", "table_name": "VARCHAR", "file_name": "VARCHAR", "file_sha256": "VARCHAR",
    "loaded_at": "TIMESTAMP", "rows_in": "BIGINT", "rows_loaded": "BIGINT", "rows_duplicate": "BIGINT",
    "rows_quarantined": "BIGINT", "status": "VARCHAR DEFAULT 'loaded'", "source": "VARCHAR",
    "fingerprint": "VARCHAR", "rows_filtered": "BIGINT DEFAULT 0", "reason": "VARCHAR", "notes": "VARCHAR"}


@dataclass(frozen=True)
class FileLoad:
    table: str | None
    file_name: str
    sha256: str
    status: str  # loaded | skipped (same content and mapping already loaded) | rejected
    source: str = ""  # the mapping that read it
    load_id: int | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    rows_filtered: int = 0
    reason: str = ""  # why a file was rejected
    notes: str = ""  # how it was read: encoding, delimiter, header line, title lines, filters
    ignored_columns: str = ""

    @property
    def balanced(self) -> bool:
        return self.rows_in == self.rows_loaded + self.rows_duplicate + self.rows_quarantined + self.rows_filtered


@dataclass
class LandingReport:
    loads: list[FileLoad] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # hidden, still being copied, lookup-only, folders
    changing: list[str] = field(default_factory=list)  # changed within the quiet period: a later run loads them

    @property
    def rejected(self) -> list[FileLoad]:
        return [f for f in self.loads if f.status == "rejected"]

    def for_table(self, table: str) -> list[FileLoad]:
        return [f for f in self.loads if f.table == table]


def file_sha256(path: Path) -> str:
    """Read into one 8 MB buffer: each read and hash lets go of Python's GIL and must win it back, and
    while the run imports dbt in a thread (pipelines/warm_up.py) a win can wait 5 ms; with
    1 MB reads, SF10's landing folder took 6.2 s to hash during that import instead of 2.5 s (1.1 s
    without it). The one buffer also spares allocating each chunk."""
    digest = hashlib.sha256()
    buffer = bytearray(8 << 20)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as fh:
        while size := fh.readinto(buffer):
            digest.update(view[:size])
    return digest.hexdigest()


def connect(warehouse: Path, business_tz: str) -> duckdb.DuckDBPyConnection:
    """A connection whose session time zone is the business one: timestamps without an offset are
    read as business-local time, as docs/metrics.md section 1 says. DuckDB's memory is capped as dbt's is
    (SALESFUNNEL_DUCKDB_MEMORY): beyond it, DuckDB spills to disk rather than take the machine."""
    Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), config={"memory_limit": duckdb_memory_limit()})
    con.execute("SET TimeZone = ?", [business_tz])
    ensure_raw_schema(con)
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema, or bring an older one up to date (new columns are added, never dropped)."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._load_ledger (load_id BIGINT)")
    for name, sql_type in _LEDGER_COLUMNS.items():
        con.execute(f"ALTER TABLE {RAW_SCHEMA}._load_ledger ADD COLUMN IF NOT EXISTS {name} {sql_type}")
    con.execute(f"UPDATE {RAW_SCHEMA}._load_ledger SET fingerprint = file_sha256 WHERE fingerprint IS NULL")
    con.execute(f"""
        CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}._quarantine (
            load_id BIGINT, table_name VARCHAR, file_name VARCHAR, line BIGINT, reason VARCHAR,
            record VARCHAR)""")
    for table in TABLES.values():
        con.execute(f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{table.name} (_load_id BIGINT, _file VARCHAR, "
                    "_line BIGINT)")
        # Before 2026-12 each row carried the MD5 of its content; rows are now compared column by column.
        con.execute(f"ALTER TABLE {RAW_SCHEMA}.{table.name} DROP COLUMN IF EXISTS _row_hash")
        for col in table.columns:
            con.execute(f"ALTER TABLE {RAW_SCHEMA}.{table.name} ADD COLUMN IF NOT EXISTS {col.name} "
                        f"{SQL_TYPES[col.kind]}")


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    # fetchall, not fetchone: DuckDB 2 refuses new work on a connection with an unfinished result.
    return con.execute(sql, params or []).fetchall()[0][0]


# ---------------------------------------------------------------------------------------------------
# The landing folder

def is_in_progress(name: str) -> bool:
    return name.startswith(".") or any(fnmatch.fnmatch(name.casefold(), p) for p in IN_PROGRESS)


def landing_entries(landing: Path) -> list[Path]:
    """Everything directly in the landing folder that is not hidden or still being written."""
    landing = Path(landing)
    if not landing.is_dir():
        return []
    return [p for p in sorted(landing.iterdir()) if not is_in_progress(p.name)]


def _signature(path: Path) -> tuple[int, int]:
    """(size, newest modification) of a file, or of every file under a folder (a Parquet data set)."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    stats = [p.stat() for p in files] or [path.stat()]
    return sum(st.st_size for st in stats), max(st.st_mtime_ns for st in stats)


def settled(entries: list[Path], quiet_seconds: float,
            while_waiting: Callable[[], None] | None = None) -> tuple[list[Path], list[Path]]:
    """(entries unchanged for `quiet_seconds`, entries still changing). An entry modified less than that
    ago is looked at again once the period has passed since its last change: a copy still in progress
    has changed by then (naming it `*.part` until it is complete is surer still). `while_waiting` is
    called before that wait."""
    if quiet_seconds <= 0:
        return list(entries), []
    first = {path: _signature(path) for path in entries}
    youngest = max((mtime for _, mtime in first.values()), default=0) / 1e9
    wait = youngest + quiet_seconds - time.time()
    if wait > 0:
        if while_waiting is not None:
            while_waiting()
        time.sleep(min(wait, quiet_seconds))
    ready, changing = [], []
    for path in entries:
        try:
            (ready if _signature(path) == first[path] else changing).append(path)
        except FileNotFoundError:  # removed or renamed meanwhile: a later run sees what became of it
            changing.append(path)
    return ready, changing


def prune_landing(landing: Path, report: LandingReport, older_than_days: float) -> list[str]:
    """Delete the landed files this run found wholly loaded (every table of theirs loaded now or before)
    and last changed more than `older_than_days` ago: their rows are in `raw`, the ledger names them.
    Rejected files, lookups and anything else stay. Returns the names deleted."""
    by_file: dict[str, set[str]] = {}
    for load in report.loads:
        by_file.setdefault(load.file_name, set()).add(load.status)
    cutoff = time.time() - older_than_days * 86_400
    pruned = []
    for name, statuses in sorted(by_file.items()):
        path = Path(landing) / name
        if statuses <= {"loaded", "skipped"} and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()
            pruned.append(name)
    return pruned


def route(path: Path, mappings: MappingSet) -> list[SourceMapping]:
    """The mappings whose file patterns match `path`, in the order they are tried."""
    return mappings.candidates(path.name)


def claimed(path: Path, mappings: MappingSet) -> bool:
    """Whether anything in the landing folder at `path` is for this pipeline (a data file, a lookup, or
    something named like one): what is not gets reported as unrecognised."""
    return bool(route(path, mappings)) or path.name.casefold() in mappings.lookup_file_names()


# ---------------------------------------------------------------------------------------------------
# Loading

def load_landing(con: duckdb.DuckDBPyConnection, landing: Path, mappings: MappingSet,
                 tables: set[str] | None = None, workdir: Path | None = None,
                 quiet_seconds: float = 0, while_waiting: Callable[[], None] | None = None) -> LandingReport:
    """Load every file of the landing folder that has not changed for `quiet_seconds` (only into `tables`
    when given; `while_waiting` is called before waiting for a file to settle); never raises for a file."""
    report = LandingReport()
    ready, changing = settled(landing_entries(landing), quiet_seconds, while_waiting)
    report.changing = [path.name for path in changing]
    for path in ready:
        candidates = route(path, mappings)
        if not candidates:
            if path.name.casefold() in mappings.lookup_file_names():
                report.ignored.append(f"{path.name} (a lookup file)")
            elif path.is_dir() and not path.name.casefold().endswith(DATA_SUFFIXES):
                report.ignored.append(f"{path.name}/ (a folder)")
            elif tables is None:  # an entity-only run leaves the reporting of strangers to full runs
                report.loads.append(_reject(con, path, "", _unrecognised(path, mappings)))
            continue
        wanted = [c for c in candidates if tables is None or set(c.table_names()) & tables]
        if wanted:
            report.loads.extend(load_path(con, path, wanted, tables, workdir))
    return report


def load_file(con: duckdb.DuckDBPyConnection, path: Path, mappings: MappingSet,
              workdir: Path | None = None) -> list[FileLoad]:
    """Load one file as a run would (the preview and the tests use it)."""
    path = Path(path)
    candidates = route(path, mappings)
    if not candidates:
        return [_reject(con, path, "", _unrecognised(path, mappings))]
    return load_path(con, path, candidates, workdir=workdir)


def _unrecognised(path: Path, mappings: MappingSet) -> str:
    return (f"no mapping matches the name {path.name!r}: name a canonical file <table>.csv or "
            f"<table>__<anything>.csv (tables: {', '.join(TABLES)}), or add a mapping for it "
            f"(sources/README.md; mappings in use: {len([m for m in mappings.mappings if not m.canonical])})")


def load_path(con: duckdb.DuckDBPyConnection, path: Path, candidates: list[SourceMapping],
              tables: set[str] | None = None, workdir: Path | None = None) -> list[FileLoad]:
    """Load one landed file with the first of `candidates` that can read it; else reject it."""
    refusal = refuse_outright(path)
    if refusal:
        return [_reject(con, path, candidates[0].name, refusal)]
    sha = file_sha256(path)
    reasons = []
    with _workdir(workdir) as scratch:
        for mapping in candidates:
            try:
                fingerprint = _fingerprint(sha, mapping, path)
                todo = [t for t in mapping.tables if (tables is None or t.table in tables)]
                pending = [t for t in todo if not _already_loaded(con, t.table, fingerprint)]
                if not pending:
                    return [FileLoad(t.table, path.name, sha, "skipped", mapping.name) for t in todo]
                lookup_columns = _read_lookups(con, mapping, path, scratch)
                read = read_source(con, path, mapping, scratch)
                done = [FileLoad(t.table, path.name, sha, "skipped", mapping.name) for t in todo if t not in pending]
                return done + _load_tables(con, path, sha, fingerprint, mapping, pending, read, lookup_columns)
            except (Rejected, MappingSqlError) as exc:
                reasons.append((mapping.name, str(exc)))
    if len(reasons) == 1:
        return [_reject(con, path, reasons[0][0], reasons[0][1])]
    return [_reject(con, path, "", "no mapping can read it: " + " | ".join(f"{m}: {r}" for m, r in reasons))]


@contextmanager
def _workdir(workdir: Path | None) -> Iterator[Path]:
    """A scratch folder for UTF-8 copies of files in other encodings, removed afterwards."""
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=workdir) as scratch:
        yield Path(scratch)


def _lookup_path(mapping: SourceMapping, lookup: Lookup, data_path: Path) -> Path | None:
    """The lookup's file: beside the data file first, then beside the mapping (None: optional, absent)."""
    places = [data_path.parent] + ([mapping.origin.parent] if mapping.origin else [])
    for place in places:
        found = sorted(place.glob(lookup.file)) if any(ch in lookup.file for ch in "*?[") else [place / lookup.file]
        found = [f for f in found if f.is_file()]
        if found:
            return found[-1]
    if lookup.optional:
        return None
    raise Rejected(f"needs the lookup file {lookup.file} beside it or beside {mapping.origin or 'the mapping'}; "
                   "not found (it is tried again on the next run)")


def _fingerprint(sha: str, mapping: SourceMapping, path: Path) -> str:
    """What decides whether a load can be skipped: the file's bytes, and for a mapped file also the
    mapping and its lookup files (a changed mapping or lookup reloads the file)."""
    if mapping.canonical:
        return sha
    lookups = [_lookup_path(mapping, lk, path) for lk in mapping.lookups]
    parts = [sha, mapping.fingerprint] + [file_sha256(p) if p else "absent" for p in lookups]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _already_loaded(con: duckdb.DuckDBPyConnection, table: str, fingerprint: str) -> bool:
    return bool(scalar(con, f"SELECT count(*) FROM {RAW_SCHEMA}._load_ledger WHERE table_name = ? "
                             "AND fingerprint = ? AND status = 'loaded'", [table, fingerprint]))


def _read_lookups(con: duckdb.DuckDBPyConnection, mapping: SourceMapping, path: Path,
                  scratch: Path) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for lk in mapping.lookups:
        lk_path = _lookup_path(mapping, lk, path)
        if lk_path is None:  # optional and absent: an empty table with the columns the mapping reads
            named = [lk.key, *mapping.lookup_columns_used(lk.name)]
            listed = ", ".join(f"CAST(NULL AS VARCHAR) AS {sql_ident(c)}" for c in dict.fromkeys(named))
            con.execute(f"CREATE OR REPLACE TEMP TABLE {lookup_table(lk.name)} AS SELECT {listed}, 0 AS _line "
                        "LIMIT 0")
            columns[lk.name] = list(dict.fromkeys(named))
            continue
        plain = SourceMapping(name=f"lookup {lk.name} ({lk_path.name})", files=(), tables=())
        try:
            read = read_source(con, lk_path, plain, scratch / lk.name, expected=[lk.key])
        except Rejected as exc:
            raise Rejected(f"its lookup file {lk_path.name} cannot be read: {exc}") from exc
        con.execute(f"CREATE OR REPLACE TEMP TABLE {lookup_table(lk.name)} AS SELECT * FROM _src")
        columns[lk.name] = read.columns
    return columns


def _load_tables(con: duckdb.DuckDBPyConnection, path: Path, sha: str, fingerprint: str, mapping: SourceMapping,
                 pending: list[TableMapping], read: SourceRead,
                 lookup_columns: dict[str, list[str]]) -> list[FileLoad]:
    con.execute("BEGIN TRANSACTION")
    try:
        loads = []
        for table_mapping in pending:
            table = TABLES[table_mapping.table]
            try:
                con.execute(checked_rows_sql(table, mapping, table_mapping, read.columns, lookup_columns))
            except duckdb.Error as exc:  # an expression of the mapping that DuckDB refuses
                raise MappingSqlError(f"table {table.name}: {str(exc).splitlines()[0]}") from exc
            _apply_table_rules(con, table)
            loads.append(_store(con, table, path, sha, fingerprint, mapping, read))
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return loads


# A checked row that neither a rule quarantined nor a row filter dropped: it is loaded or a duplicate.
_USABLE = "_reason IS NULL AND _filter IS NULL"


def _key_match(table: Table, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{k} IS NOT DISTINCT FROM {right}.{k}" for k in table.key)


def _apply_table_rules(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Rules over several rows: two different rows for one key in the same file contradict each other
    (both are quarantined: which one is right is for the source to say); and a deal's stage history
    must follow the chain (a stage first entered before an earlier stage's first entry, by more than
    STAGE_ORDER_TOLERANCE). Leaves `_repeated`, the keys on more than one usable row, for `_store`."""
    key = ", ".join(table.key)
    # A row's key is part of its content, so only the rows of a key on more than one row can conflict
    # with or repeat one another: one grouping of the keys finds them (a file rarely has any), and the
    # rows themselves are compared for those keys only.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _repeated AS
        SELECT {key} FROM _checked WHERE {_USABLE} GROUP BY {key} HAVING count(*) > 1""")
    if scalar(con, "SELECT count(*) FROM _repeated"):
        con.execute(f"""
            UPDATE _checked SET _reason = 'conflicting rows for the same key in this file (lines ' || c.lines || ')'
            FROM (
                SELECT {key}, string_agg(DISTINCT CAST(_line AS VARCHAR), ', ') AS lines
                FROM _checked AS r SEMI JOIN _repeated AS k ON {_key_match(table, 'r', 'k')}
                WHERE {_USABLE}
                GROUP BY {key}
                HAVING count(DISTINCT ({", ".join(table.column_names)})) > 1
            ) AS c
            WHERE {_key_match(table, '_checked', 'c')} AND _checked._reason IS NULL AND _checked._filter IS NULL""")
    if table.name == "deal_stages":
        _apply_stage_order_rule(con)


def _apply_stage_order_rule(con: duckdb.DuckDBPyConnection) -> None:
    chain = ", ".join(f"({sql_text(s.stage)}, {s.order})" for s in stage_catalog() if not s.is_lost)
    con.execute(f"""
        UPDATE _checked SET _reason = v.reason
        FROM (
            WITH entries AS (
                SELECT deal_id, stage, entered_at FROM _checked
                WHERE _reason IS NULL AND _filter IS NULL AND entered_at IS NOT NULL
                UNION ALL
                SELECT deal_id, stage, entered_at FROM {RAW_SCHEMA}.deal_stages
                WHERE entered_at IS NOT NULL AND deal_id IN (SELECT deal_id FROM _checked)
            ), firsts AS (
                SELECT e.deal_id, e.stage, c.stage_order, min(e.entered_at) AS first_at
                FROM entries AS e JOIN (VALUES {chain}) AS c(stage, stage_order) ON c.stage = e.stage
                GROUP BY ALL
            )
            SELECT later.deal_id,
                   min('stage history out of order: ' || later.stage || ' at ' || later.first_at || ' before '
                       || earlier.stage || ' at ' || earlier.first_at) AS reason
            FROM firsts AS later JOIN firsts AS earlier
                ON earlier.deal_id = later.deal_id AND earlier.stage_order < later.stage_order
                AND earlier.first_at > later.first_at + INTERVAL '{STAGE_ORDER_TOLERANCE}'
            GROUP BY later.deal_id
        ) AS v
        WHERE _checked.deal_id = v.deal_id AND _checked._reason IS NULL AND _checked._filter IS NULL""")


def _store(con: duckdb.DuckDBPyConnection, table: Table, path: Path, sha: str, fingerprint: str,
           mapping: SourceMapping, read: SourceRead) -> FileLoad:
    load_id = scalar(con, f"SELECT coalesce(max(load_id), 0) + 1 FROM {RAW_SCHEMA}._load_ledger")
    # Each row's fate: filtered (_filter), quarantined (_reason), a duplicate (of an earlier line of the
    # file or of a row already in raw), else loaded. Only the duplicates are listed: a table of every
    # row and its fate was a third copy of the file (13 s for 10M calls). Rows are compared column by
    # column, not by a hash of their text: an MD5 of every row, stored beside it, was 5 of the 32 s
    # that loading 10M calls took (docs/performance.md). After the conflict rule the usable rows of a
    # repeated key are copies of one row: all but the first line are duplicates.
    cols = ", ".join(table.column_names)
    same_row = " AND ".join(f"c.{col} IS NOT DISTINCT FROM stored.{col}" for col in table.column_names)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _duplicates AS
        SELECT _line, _template FROM (
            SELECT r._line, r._template,
                   row_number() OVER (PARTITION BY {", ".join(f"r.{k}" for k in table.key)}
                                      ORDER BY r._line, r._template) AS copy_number
            FROM _checked AS r SEMI JOIN _repeated AS k ON {_key_match(table, 'r', 'k')}
            WHERE {_USABLE})
        WHERE copy_number > 1
        UNION
        SELECT c._line, c._template
        FROM _checked AS c SEMI JOIN {RAW_SCHEMA}.{table.name} AS stored ON {same_row}
        WHERE {_USABLE}""")
    con.execute(f"""
        INSERT INTO {RAW_SCHEMA}.{table.name} ({cols}, _load_id, _file, _line)
        SELECT {cols}, ?, ?, _line
        FROM _checked AS c ANTI JOIN _duplicates AS d ON d._line = c._line AND d._template = c._template
        WHERE {_USABLE}""", [load_id, path.name])
    record = "{" + ", ".join(f"{sql_text(c)}: src.{sql_ident(c)}" for c in read.columns) + "}"
    con.execute(f"""
        INSERT INTO {RAW_SCHEMA}._quarantine
        SELECT ?, ?, ?, q._line, q._reason, left(CAST(to_json({record}) AS VARCHAR), 4000)
        FROM _checked AS q JOIN _src AS src ON src._line = q._line
        WHERE q._reason IS NOT NULL AND q._filter IS NULL
        UNION ALL
        SELECT ?, ?, ?, line, reason, left(record, 4000) FROM _src_rejects""",
                [load_id, table.name, path.name] * 2)
    filtered = con.execute("SELECT _filter, count(*) FROM _checked WHERE _filter IS NOT NULL GROUP BY 1 "
                           "ORDER BY 2 DESC").fetchall()
    notes = [read.describe(), *read.notes] + [f"{n} row(s) filtered: {why}" for why, n in filtered]
    # Each count is taken where the rows are: read from the file, stored in raw, stored in quarantine.
    # So the `rows_accounted` check can catch a row lost between classification and storage.
    load = FileLoad(
        table=table.name, file_name=path.name, sha256=sha, status="loaded", source=mapping.name, load_id=load_id,
        rows_in=scalar(con, "SELECT count(*) FROM _checked") + read.rejected_lines,
        rows_loaded=scalar(con, f"SELECT count(*) FROM {RAW_SCHEMA}.{table.name} WHERE _load_id = ?", [load_id]),
        rows_duplicate=scalar(con, "SELECT count(*) FROM _duplicates"),
        rows_quarantined=scalar(con, f"SELECT count(*) FROM {RAW_SCHEMA}._quarantine WHERE load_id = ?",
                                 [load_id]),
        rows_filtered=sum(n for _, n in filtered),
        notes="; ".join(n for n in notes if n),
        ignored_columns=", ".join(_ignored_columns(mapping, table, read.columns)),
    )
    _ledger_row(con, load, fingerprint)
    return load


def _ignored_columns(mapping: SourceMapping, table: Table, columns: list[str]) -> list[str]:
    """Columns of a canonical file that are not canonical (a typo of an optional column shows here)."""
    if not mapping.canonical:
        return []
    known = {normalise_name(c) for c in table.column_names}
    return sorted(c for c in columns if normalise_name(c) not in known)


def _ledger_row(con: duckdb.DuckDBPyConnection, load: FileLoad, fingerprint: str) -> None:
    # loaded_at in UTC, as the report shows it: the session's time zone is the business one (connect).
    con.execute(f"""
        INSERT INTO {RAW_SCHEMA}._load_ledger (load_id, table_name, file_name, file_sha256, loaded_at, rows_in,
            rows_loaded, rows_duplicate, rows_quarantined, status, source, fingerprint, rows_filtered, reason, notes)
        VALUES (?, ?, ?, ?, now() AT TIME ZONE 'UTC', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [load.load_id, load.table, load.file_name, load.sha256, load.rows_in, load.rows_loaded,
                 load.rows_duplicate, load.rows_quarantined, load.status, load.source, fingerprint,
                 load.rows_filtered, load.reason or None, load.notes or None])


def _reject(con: duckdb.DuckDBPyConnection, path: Path, source: str, reason: str) -> FileLoad:
    """Record a rejected file once per distinct content and reason: an unchanged bad file is reported
    by every run but written to the ledger only the first time."""
    sha = file_sha256(path) if path.is_file() else ""
    load = FileLoad(None, path.name, sha, "rejected", source, reason=reason)
    last = con.execute(f"""
        SELECT status, file_sha256, reason FROM {RAW_SCHEMA}._load_ledger WHERE file_name = ?
        ORDER BY load_id DESC LIMIT 1""", [path.name]).fetchall()
    if last != [("rejected", sha, reason)]:
        load_id = scalar(con, f"SELECT coalesce(max(load_id), 0) + 1 FROM {RAW_SCHEMA}._load_ledger")
        load = FileLoad(None, path.name, sha, "rejected", source, load_id=load_id, reason=reason)
        _ledger_row(con, load, sha)
    return load
