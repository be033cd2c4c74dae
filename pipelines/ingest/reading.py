"""Reading one landed file into DuckDB as text, whatever its encoding, dialect or format.

`read_source` leaves the file's records in temp view `_src` (one VARCHAR column per source column,
named as in the file, plus `_line`, the line of the record in the file) and the lines that could not be
read in `_src_rejects` (line, reason, record). A file that cannot be read at all raises `Rejected`
with one line that says what was expected and what was found.

The bulk read is DuckDB's CSV reader. Python only looks at the first lines (encoding, delimiter, where
the header is) and, for files that are not UTF-8, rewrites them as UTF-8 first, line by line, so that a
file with a few lines in another encoding (a CDR with cp1251 caller names) loses nothing.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.canonical import MAX_TEXT_LENGTH
from pipelines.ingest.mappings import SPREADSHEET_SUFFIXES, SourceMapping, normalise_name

HEAD_BYTES = 256 * 1024
HEAD_LINES = 60  # how far down a header is looked for (title lines, report headers)
DELIMITERS = (",", ";", "\t", "|")
MAX_LINE_BYTES = 64 * 2**20  # longer lines reject the file; long fields are quarantined by their row
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_MAGIC = ((b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?)"), (b"%PDF", "a PDF document"),
          (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"), (b"PAR1", "a Parquet file"),
          (b"\x1f\x8b", "a gzip archive"), (b"<html", "an HTML page"), (b"<!DOCTYPE", "an HTML page"))


class Rejected(Exception):
    """The whole file is not loaded; the message is the one line the analyst reads."""


@dataclass
class SourceRead:
    columns: list[str]  # the source columns of `_src`, in file order
    rows: int = 0  # records read into `_src`
    rejected_lines: int = 0  # records in `_src_rejects`
    encoding: str = ""
    delimiter: str | None = None
    header_line: int | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [self.encoding]
        if self.delimiter:
            parts.append(f"delimiter {_show_delimiter(self.delimiter)}")
        if self.header_line:
            parts.append(f"header on line {self.header_line}")
        return ", ".join(p for p in parts if p)


def _show_delimiter(delimiter: str) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(delimiter, repr(delimiter))


def _open_binary(path: Path):
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _head(path: Path) -> bytes:
    with _open_binary(path) as fh:
        return fh.read(HEAD_BYTES)


def refuse_outright(path: Path) -> str | None:
    """Why a landed path cannot be a data file at all, before any mapping is tried (None: it can)."""
    if path.is_dir():
        return "a folder, not a file: only files directly in the landing folder are loaded"
    if path.stat().st_size == 0:
        return "empty file (0 bytes): still being copied? It is tried again when it changes"
    return None


# ---------------------------------------------------------------------------------------------------
# Encodings

@dataclass(frozen=True)
class Decoding:
    codec: str  # how the file is decoded
    fallback: str | None = None  # lines that are not valid in `codec` are decoded with this one
    description: str = ""
    mixed_line_ends: bool = False  # \r\n and \n (or a bare \r) in one file: DuckDB's reader loses rows

    @property
    def needs_rewrite(self) -> bool:
        return self.codec not in ("utf-8", "utf-8-sig") or self.fallback is not None or self.mixed_line_ends


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    with _open_binary(path) as fh:
        try:
            for chunk in iter(lambda: fh.read(8 * 2**20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _undecodable_sample(path: Path, limit: int = 200) -> bytes:
    lines = []
    with _open_binary(path) as fh:
        for line in fh:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                lines.append(line)
                if len(lines) >= limit:
                    break
    return b"".join(lines)


def _mixed_line_ends(head: bytes) -> bool:
    crlf = head.count(b"\r\n")
    return (crlf and head.count(b"\n") > crlf) or head.count(b"\r") > crlf


def detect_decoding(path: Path, declared: str | None, head: bytes) -> Decoding:
    """The declared encoding, else a byte-order mark, else UTF-8 if the whole file is valid UTF-8,
    else UTF-8 line by line with the legacy encoding that charset-normalizer finds in the other lines.
    Line ends are made uniform when the file mixes them."""
    decoding = _detect_encoding(path, declared, head)
    if _mixed_line_ends(head):
        return Decoding(decoding.codec, decoding.fallback, f"{decoding.description}, mixed line ends made uniform",
                        mixed_line_ends=True)
    return decoding


def _detect_encoding(path: Path, declared: str | None, head: bytes) -> Decoding:
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError as exc:
            raise Rejected(f"unknown encoding {declared!r} in the mapping") from exc
        return Decoding(declared, description=f"{declared} (declared)")
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return Decoding(codec, description=f"{codec.replace('-sig', '')} with byte-order mark")
    if _is_utf8(path):
        return Decoding("utf-8", description="utf-8")
    from charset_normalizer import from_bytes  # only for files that are not UTF-8

    best = from_bytes(_undecodable_sample(path)).best()
    legacy = best.encoding if best else "cp1251"
    return Decoding("utf-8", fallback=legacy, description=f"{legacy} (detected)")


def _rewrite_as_utf8(path: Path, decoding: Decoding, target: Path) -> tuple[int, int]:
    """Write `path` decoded as UTF-8 to `target`; returns (lines, lines decoded with the fallback)."""
    lines = fallback_lines = 0
    newline = None if decoding.mixed_line_ends else ""  # None: every line end read as \n
    with _open_binary(path) as src, target.open("w", encoding="utf-8", newline="") as out:
        if decoding.fallback is None:  # a whole-file codec (utf-16, cp1251 declared, utf-8 with mixed ends...)
            reader = io.TextIOWrapper(src, encoding=decoding.codec, errors="strict", newline=newline)
            try:
                shutil.copyfileobj(reader, out, 8 * 2**20)
            except UnicodeDecodeError as exc:
                raise Rejected(f"not readable as {decoding.codec}: byte {exc.start} of a chunk is invalid "
                               f"({exc.reason})") from exc
            return 0, 0
        for raw in src:
            lines += 1
            if decoding.mixed_line_ends:
                raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            try:
                out.write(raw.decode("utf-8"))
            except UnicodeDecodeError:
                out.write(raw.decode(decoding.fallback, errors="replace"))
                fallback_lines += 1
    return lines, fallback_lines


# ---------------------------------------------------------------------------------------------------
# Header and delimiter

def _split(line: str, delimiter: str, quote: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter, quotechar=quote))
    except (StopIteration, csv.Error):
        return []


def _head_lines(text: str) -> list[str]:
    return text.splitlines()[:HEAD_LINES]


@dataclass(frozen=True)
class Layout:
    delimiter: str
    header_line: int | None  # None: no header
    names: list[str]


def _unique_names(fields: list[str]) -> list[str]:
    """Column names DuckDB can hold: blanks named by position, repeated names numbered (`Источник#2`)."""
    seen: dict[str, int] = {}
    names = []
    for i, name in enumerate(fields, start=1):
        name = name.strip().lstrip("\ufeff") or f"_column{i}"
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        names.append(name if seen[key] == 1 else f"{name}#{seen[key]}")
    return names


def _present(expected: list[str], fields: list[str]) -> list[str]:
    have = {normalise_name(f) for f in _unique_names(fields)}
    return [c for c in expected if normalise_name(c) in have]


def find_layout(lines: list[str], mapping: SourceMapping, expected: list[str] | None = None) -> Layout:
    """Where the header is and what separates the fields, or Rejected with what was found instead."""
    delimiters = (mapping.delimiter,) if mapping.delimiter else DELIMITERS
    quote = mapping.quote_char
    numbered = [(i, line) for i, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise Rejected("no text in the file (blank lines only)")
    if not mapping.header:
        want = len(mapping.field_names)
        first_no, first = numbered[0]
        counts = {d: len(_split(first, d, quote)) for d in delimiters}
        for d in delimiters:
            if counts[d] == want:
                return Layout(d, None, list(mapping.field_names))
        found = max(counts.values())
        raise Rejected(f"expected {want} fields per line ({mapping.name}: {', '.join(mapping.field_names[:4])}, "
                       f"...), line {first_no} has {found}")
    expected = mapping.required_source_columns() if expected is None else expected
    rows = [(n, line) for n, line in numbered if n == mapping.header_row] if mapping.header_row else numbered
    best: tuple[int, int, str, list[str]] | None = None  # found, line, delimiter, missing
    for n, line in rows:
        for d in delimiters:
            fields = _split(line, d, quote)
            if len(fields) < 2 and len(expected) > 1:
                continue
            present = _present(expected, fields)
            if len(present) == len(expected):
                return Layout(d, n, _unique_names(fields))
            if best is None or len(present) > best[0]:
                best = (len(present), n, d, [c for c in expected if c not in present])
    first_no, first = numbered[0]
    shown = first if len(first) <= 80 else first[:77] + "..."
    message = f"no header with the columns {mapping.name} needs ({', '.join(expected)})"
    if best and best[0]:
        message += (f"; line {best[1]} (delimiter {_show_delimiter(best[2])}) lacks "
                    f"{', '.join(best[3])}")
    message += f"; line {first_no} reads {shown!r}"
    raise Rejected(message)


# ---------------------------------------------------------------------------------------------------
# The read

def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _reset_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS _src; DROP TABLE IF EXISTS _read_rejects; DROP TABLE IF EXISTS _read_scans")
    con.execute("CREATE OR REPLACE TEMP TABLE _src_rejects (line BIGINT, reason VARCHAR, record VARCHAR)")


def _read_csv(con: duckdb.DuckDBPyConnection, csv_path: Path, layout: Layout, quote: str) -> None:
    columns = "{" + ", ".join(f"{_sql_literal(n)}: 'VARCHAR'" for n in layout.names) + "}"
    header = layout.header_line is not None
    skip = (layout.header_line - 1) if header else 0
    # auto_detect off: the dialect is known, and DuckDB's sniffer gives up on a file with one broken quote.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _raw_read AS
        SELECT * FROM read_csv(?, delim = ?, quote = ?, escape = ?, header = {str(header).lower()},
            skip = {skip}, auto_detect = false, columns = {columns}, max_line_size = {MAX_LINE_BYTES},
            store_rejects = true, rejects_table = '_read_rejects', rejects_scan = '_read_scans')""",
                [str(csv_path), layout.delimiter, quote, quote])
    con.execute(f"""
        INSERT INTO _src_rejects
        SELECT line, string_agg(DISTINCT CAST(error_type AS VARCHAR) || ': ' || error_message, '; '),
               left(any_value(csv_line), {MAX_TEXT_LENGTH})
        FROM _read_rejects GROUP BY line""")


def _count_newlines(path: Path) -> int | None:
    if path.name.lower().endswith(".gz"):
        return None
    count, last = 0, b"\n"
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(8 * 2**20), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)  # a last line without a line end is a line


def _blank_lines(path: Path) -> list[int]:
    blanks = []
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip(b"\r\n"):
                blanks.append(number)
    return blanks


def _number_lines(con: duckdb.DuckDBPyConnection, csv_path: Path, layout: Layout) -> None:
    """`_src` = `_raw_read` with `_line`, the line each record starts on. DuckDB gives the lines of the
    records it rejects, not of those it reads: the n-th good record starts after the lines of the good
    records before it (more than one when a quoted field holds line breaks), the rejected lines and the
    blank lines (which DuckDB skips) that come before it."""
    first = (layout.header_line or 0) + 1
    cols = ", ".join(_quote_ident(n) for n in layout.names)
    rows = con.execute("SELECT count(*) FROM _raw_read").fetchall()[0][0]
    skipped = [line for (line,) in con.execute("SELECT line FROM _src_rejects").fetchall()]
    total = _count_newlines(csv_path)
    if not skipped and total == first - 1 + rows:
        # One record per line and nothing skipped (the usual file): the n-th record is on line first + n.
        # A view: a copy of the records was 2 s of loading 10M calls.
        con.execute(f"CREATE TEMP VIEW _src AS SELECT {cols}, {first} + rowid AS _line FROM _raw_read")
        return
    span = "1"
    if total is None or total != first - 1 + rows + len(skipped):  # some record spans lines, or blank lines
        span = "1 + " + " + ".join(
            f"coalesce(length({_quote_ident(n)}) - length(replace({_quote_ident(n)}, chr(10), '')), 0)"
            for n in layout.names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _spans AS SELECT rowid AS _pos, {span} AS _span FROM _raw_read")
    accounted = con.execute("SELECT coalesce(sum(_span), 0) FROM _spans").fetchall()[0][0] + len(skipped) + first - 1
    if total is not None and total > accounted:
        blanks = [b for b in _blank_lines(csv_path) if b >= first]
        if total > accounted + len(blanks):
            # A safety net, not a case seen: never load part of a file while the rest goes unreported.
            raise Rejected(f"the CSV reader accounts for {accounted + len(blanks)} of its {total} lines; "
                           "the file's structure (quotes, line ends) is not readable as a whole")
        skipped += blanks
    con.execute("CREATE OR REPLACE TEMP TABLE _skipped (line BIGINT)")
    if skipped:
        con.executemany("INSERT INTO _skipped VALUES (?)", [[s] for s in sorted(set(skipped))])
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _numbered AS
        WITH good AS (
            SELECT _pos, coalesce(sum(_span) OVER (ORDER BY _pos ROWS BETWEEN UNBOUNDED PRECEDING
                                                   AND 1 PRECEDING), 0) AS units_before
            FROM _spans
        ), gaps AS (
            SELECT line - {first} - (row_number() OVER (ORDER BY line) - 1) AS units_before FROM _skipped
        )
        SELECT {cols},
               {first} + good.units_before
               + (SELECT count(*) FROM gaps WHERE gaps.units_before <= good.units_before) AS _line
        FROM _raw_read AS r JOIN good ON good._pos = r.rowid
        ORDER BY _line""")
    con.execute("DROP TABLE _raw_read")
    con.execute("CREATE TEMP VIEW _src AS SELECT * FROM _numbered")


def _read_spreadsheet(path: Path, mapping: SourceMapping, target: Path) -> list[str]:
    """Write the sheet as a UTF-8 CSV (every field quoted), one line per sheet row; return its lines'
    first part for the header search."""
    from python_calamine import CalamineWorkbook  # only for spreadsheets

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_name(mapping.sheet) if mapping.sheet else book.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise Rejected(f"not a readable spreadsheet ({type(exc).__name__}: {exc})") from exc
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        for row in rows:
            writer.writerow([_cell_text(v) for v in row])
    return target.read_text(encoding="utf-8").splitlines()[:HEAD_LINES]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and ids stored as numbers: 79001234567.0
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value).replace("\r\n", "\n")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _raw_parquet AS "
                    "SELECT * FROM read_parquet(?, file_row_number = true)", [str(path)])
    except duckdb.Error as exc:
        raise Rejected(f"not a readable Parquet file ({str(exc).splitlines()[0]})") from exc
    names = [r[0] for r in con.execute("DESCRIBE _raw_parquet").fetchall() if r[0] != "file_row_number"]
    casts = ", ".join(f"CAST({_quote_ident(n)} AS VARCHAR) AS {_quote_ident(n)}" for n in names)
    con.execute(f"CREATE TEMP VIEW _src AS SELECT {casts}, file_row_number + 1 AS _line FROM _raw_parquet")
    return names


def read_source(con: duckdb.DuckDBPyConnection, path: Path, mapping: SourceMapping, workdir: Path,
                expected: list[str] | None = None) -> SourceRead:
    """Read `path` as `mapping` describes it into `_src` and `_src_rejects`, or raise Rejected.
    `expected`: the columns the header must hold (default: those the mapping reads)."""
    _reset_temp_tables(con)
    name = path.name.lower()
    if name.endswith(".parquet"):
        columns = _read_parquet(con, path)
        read = SourceRead(columns=columns, encoding="parquet")
        _require_columns(mapping.name, mapping.required_source_columns() if expected is None else expected,
                         columns)
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        csv_path = path
        if name.endswith(SPREADSHEET_SUFFIXES):
            csv_path = workdir / "sheet.csv"
            lines = _read_spreadsheet(path, mapping, csv_path)
            read = SourceRead(columns=[], encoding=f"spreadsheet, sheet {mapping.sheet or 1}")
            quote = '"'
            layout = find_layout(lines, mapping, expected)
        else:
            head = _head(path)
            for magic, what in _MAGIC:
                if head.lstrip().startswith(magic) and not name.endswith(".gz"):
                    raise Rejected(f"not a text table: the file is {what}")
            decoding = detect_decoding(path, mapping.encoding, head)
            read = SourceRead(columns=[], encoding=decoding.description)
            if decoding.needs_rewrite:
                csv_path = workdir / "utf8.csv"
                lines_total, fallback_lines = _rewrite_as_utf8(path, decoding, csv_path)
                if decoding.fallback and fallback_lines < lines_total:
                    read.encoding = f"utf-8 with {fallback_lines} line(s) in {decoding.fallback} (detected)"
                head_text = csv_path.read_text(encoding="utf-8", errors="replace")[:HEAD_BYTES]
            else:
                head_text = head.decode(decoding.codec, errors="replace")
            quote = mapping.quote_char
            try:
                layout = find_layout(_head_lines(head_text.lstrip("\ufeff")), mapping, expected)
            except Rejected as exc:
                nul = " (the file holds NUL bytes: an incomplete copy?)" if b"\x00" in head else ""
                raise Rejected(f"{exc}; read as {read.encoding}{nul}") from exc
        read.delimiter, read.header_line, read.columns = layout.delimiter, layout.header_line, layout.names
        try:
            _read_csv(con, csv_path, layout, quote)
        except duckdb.Error as exc:
            raise Rejected(f"cannot be read as CSV ({str(exc).splitlines()[0]})") from exc
        _number_lines(con, csv_path, layout)
        if layout.header_line and layout.header_line > 1:
            read.notes.append(f"{layout.header_line - 1} line(s) above the header skipped (a title?)")
    read.rows = con.execute("SELECT count(*) FROM _src").fetchall()[0][0]
    read.rejected_lines = con.execute("SELECT count(*) FROM _src_rejects").fetchall()[0][0]
    return read


def _require_columns(mapping_name: str, expected: list[str], columns: list[str]) -> None:
    missing = [c for c in expected if not _present([c], columns)]
    if missing:
        raise Rejected(f"missing column(s) {', '.join(missing)} that {mapping_name} needs; the file has "
                       f"{', '.join(columns[:12]) or 'no columns'}{'...' if len(columns) > 12 else ''}")


def source_column(columns: list[str], wanted: str) -> str | None:
    """The name in `_src` of the source column a mapping calls `wanted` (compared normalised)."""
    key = normalise_name(wanted)
    return next((c for c in columns if normalise_name(c) == key), None)


def sql_ident(name: str) -> str:
    return _quote_ident(name)


def sql_text(text: str) -> str:
    return _sql_literal(text)


_PATTERN_GROUP = re.compile(r"(?<!\\)\((?!\?)")


def pattern_group(pattern: str) -> int:
    """Group 1 when the pattern has a capturing group, else the whole match."""
    return 1 if _PATTERN_GROUP.search(pattern) else 0
