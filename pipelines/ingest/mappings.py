"""Source mappings: how a real export (a PBX's CDR file, a CRM's export, a spreadsheet) becomes rows of
the canonical tables, written as YAML, never as code. `sources/README.md` is the reference.

A mapping says which files it reads (globs on the file name), how to read them (encoding, Table Dialect:
delimiter, header line or column order), and for each canonical table it feeds, where each canonical
column comes from: a source column, a constant, a lookup in a second file, with value maps, date and
duration formats, and row filters. Every canonical table also has a built-in identity mapping for files
named after it (`calls.csv`, `calls__2026-06.csv`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.canonical import TABLES
from pipelines.settings import REPO_ROOT

SHIPPED_SOURCES = REPO_ROOT / "sources"
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
DATA_SUFFIXES = (*TEXT_SUFFIXES, ".parquet", *SPREADSHEET_SUFFIXES)


class MappingError(ValueError):
    """A mapping file that cannot be used: the message names the file and the key at fault."""


def normalise_name(name: str) -> str:
    """How column names are compared: case, surrounding and repeated blanks and `_` vs space ignored,
    so `Call ID`, `call_id` and `CALL  ID ` are one name."""
    return " ".join(name.replace("_", " ").split()).casefold()


@dataclass(frozen=True)
class ColumnSpec:
    """Where one canonical column's text comes from, and how it is cleaned before typing."""

    columns: tuple[str, ...] = ()  # source (or `lookup.column`) names; the first non-empty wins
    value: str | None = None  # a constant
    sql: str | None = None  # a DuckDB expression over the source columns (quoted names)
    pattern: str | None = None  # keep the first group of this regular expression
    values: tuple[tuple[str, str], ...] = ()  # value map (source value -> canonical value), case-insensitive
    unmapped: str = "keep"  # keep | empty: what a value missing from the map becomes
    formats: tuple[str, ...] = ()  # strptime formats (timestamps, dates) or `h:mm:ss` (durations)
    decimal: str | None = None  # decimal mark of numbers; then blanks and the other mark group thousands
    optional: bool = False  # the source columns may be absent from a file


@dataclass(frozen=True)
class Condition:
    """A row filter: true when the row matches."""

    columns: tuple[str, ...] = ()
    op: str = "in"  # in | not_in | empty | not_empty | matches | sql
    values: tuple[str, ...] = ()
    sql: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Lookup:
    """A second file joined to each source row where its column `key` equals `from` (a spec over the source
    row; `from`, not `on`: YAML 1.1 reads a bare `on` as true).
    Its columns are then named `<name>.<column>` in specs (and `"<name>"."<column>"` in sql:). An
    optional lookup whose file is absent gives empty values."""

    name: str
    file: str
    key: str
    source: ColumnSpec
    optional: bool = False


@dataclass(frozen=True)
class TableMapping:
    table: str
    rows: tuple[tuple[tuple[str, ColumnSpec], ...], ...]  # one row template per canonical row of a record
    keep: tuple[Condition, ...] = ()  # a record is kept only if it matches all of these
    drop: tuple[Condition, ...] = ()  # ... and none of these

    def templates(self) -> list[dict[str, ColumnSpec]]:
        return [dict(row) for row in self.rows]


@dataclass(frozen=True)
class SourceMapping:
    name: str
    files: tuple[str, ...]
    tables: tuple[TableMapping, ...]
    description: str = ""
    encoding: str | None = None  # None: detected
    delimiter: str | None = None  # None: detected among , ; tab |
    header: bool = True
    header_row: int | None = None  # 1-based line of the header; None: the first line holding the columns
    field_names: tuple[str, ...] = ()  # the column order of a file without a header
    quote_char: str = '"'
    missing_values: tuple[str, ...] = ("",)
    sheet: str | None = None  # spreadsheet sheet name; None: the first sheet
    lookups: tuple[Lookup, ...] = ()
    origin: Path | None = None  # the YAML file; None for the built-in canonical mappings
    fingerprint: str = ""
    canonical: bool = False

    def matches(self, file_name: str) -> bool:
        name = file_name.casefold()
        return any(fnmatch.fnmatchcase(name, glob.casefold()) for glob in self.files)

    def table_names(self) -> list[str]:
        return [t.table for t in self.tables]

    def required_source_columns(self) -> list[str]:
        """Source columns a file must have for this mapping to read it (lookup columns excluded)."""
        lookups = {lk.name for lk in self.lookups}
        specs = [spec for t in self.tables for row in t.templates() for spec in row.values()]
        specs += [lk.source for lk in self.lookups]
        names = [c for s in specs if not s.optional for c in s.columns if c.split(".", 1)[0] not in lookups]
        names += [c for t in self.tables for cond in (*t.keep, *t.drop) for c in cond.columns]
        return list(dict.fromkeys(names))

    def lookup_columns_used(self, lookup: str) -> list[str]:
        """The columns of a lookup that the mapping reads (as `lookup.column`, or in sql: expressions)."""
        specs = [spec for t in self.tables for row in t.templates() for spec in row.values()]
        specs += [lk.source for lk in self.lookups]
        named = [c.split(".", 1)[1] for s in specs for c in s.columns if c.startswith(f"{lookup}.")]
        in_sql = re.compile(rf'(?<![\w"]){re.escape(lookup)}\.("(?:[^"]|"")+"|\w+)')
        named += [m.strip('"').replace('""', '"') for s in specs if s.sql for m in in_sql.findall(s.sql)]
        return list(dict.fromkeys(named))

    def describe_files(self) -> str:
        return ", ".join(self.files)


# ---------------------------------------------------------------------------------------------------
# Parsing YAML into mappings, with errors that say where.

_SPEC_KEYS = {"column", "value", "sql", "pattern", "map", "unmapped", "format", "decimal", "optional"}
_CONDITION_OPS = {"in", "not_in", "equals", "empty", "not_empty", "matches", "sql"}
_TOP_KEYS = {"source", "base", "description", "files", "encoding", "dialect", "fieldNames", "missingValues",
             "lookups", "tables"}
_DIALECT_KEYS = {"delimiter", "header", "headerRows", "quoteChar", "sheet"}
_TABLE_KEYS = {"columns", "rows", "keep", "drop"}


def _fail(where: str, message: str) -> MappingError:
    return MappingError(f"{where}: {message}")


def _check_keys(where: str, given: dict, allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _spec(where: str, raw) -> ColumnSpec:
    if isinstance(raw, str):
        return ColumnSpec(columns=(raw,))
    if not isinstance(raw, dict):
        raise _fail(where, f"expected a source column name or a mapping, got {raw!r}")
    _check_keys(where, raw, _SPEC_KEYS)
    sources = [k for k in ("column", "value", "sql") if k in raw]
    if len(sources) != 1:
        raise _fail(where, "give exactly one of column, value, sql")
    values = raw.get("map") or {}
    if not isinstance(values, dict):
        raise _fail(where, "map: expected source value: canonical value pairs")
    if raw.get("unmapped", "keep") not in ("keep", "empty"):
        raise _fail(where, "unmapped: keep or empty")
    decimal = raw.get("decimal")
    if decimal not in (None, ".", ","):
        raise _fail(where, "decimal: '.' or ','")
    return ColumnSpec(
        columns=tuple(str(c) for c in _as_list(raw["column"])) if "column" in raw else (),
        value=None if "value" not in raw or raw["value"] is None else str(raw["value"]),
        sql=raw.get("sql"),
        pattern=raw.get("pattern"),
        values=tuple((str(k), "" if v is None else str(v)) for k, v in values.items()),
        unmapped=raw.get("unmapped", "keep"),
        formats=tuple(str(f) for f in _as_list(raw["format"])) if "format" in raw else (),
        decimal=decimal,
        optional=bool(raw.get("optional", False)),
    )


def _condition(where: str, raw) -> Condition:
    if not isinstance(raw, dict):
        raise _fail(where, f"expected a condition such as {{column: Type, in: [SMS]}}, got {raw!r}")
    _check_keys(where, raw, _CONDITION_OPS | {"column", "reason"})
    ops = [op for op in _CONDITION_OPS if op in raw]
    if len(ops) != 1:
        raise _fail(where, f"give exactly one of {', '.join(sorted(_CONDITION_OPS))}")
    op = ops[0]
    if op == "sql":
        return Condition(op="sql", sql=str(raw["sql"]), reason=str(raw.get("reason", raw["sql"])))
    if "column" not in raw:
        raise _fail(where, "column: the source column the condition reads")
    columns = tuple(str(c) for c in _as_list(raw["column"]))
    values: tuple[str, ...] = ()
    if op in ("in", "not_in", "equals"):
        values = tuple(str(v) for v in _as_list(raw[op]))
        op = "in" if op == "equals" else op
    elif op == "matches":
        values = (str(raw["matches"]),)
    elif op in ("empty", "not_empty") and raw[op] is False:
        op = "not_empty" if op == "empty" else "empty"
    reason = raw.get("reason") or f"{', '.join(columns)} {op.replace('_', ' ')} {', '.join(values)}".strip()
    return Condition(columns=columns, op=op, values=values, reason=str(reason))


def _table(where: str, name: str, raw) -> TableMapping:
    if name not in TABLES:
        raise _fail(where, f"unknown canonical table {name!r}; tables: {', '.join(TABLES)}")
    if not isinstance(raw, dict):
        raise _fail(where, "expected columns: (and optionally rows:, keep:, drop:)")
    _check_keys(where, raw, _TABLE_KEYS)
    table = TABLES[name]
    common = raw.get("columns") or {}
    templates = raw.get("rows") or [{}]
    if not isinstance(common, dict) or not isinstance(templates, list):
        raise _fail(where, "columns: canonical column: spec pairs; rows: a list of such mappings")
    rows = []
    for i, template in enumerate(templates, start=1):
        merged = {**common, **(template or {})}
        unknown = sorted(set(merged) - set(table.column_names))
        if unknown:
            raise _fail(where, f"{', '.join(unknown)} not column(s) of {name}; its columns: "
                        f"{', '.join(table.column_names)}")
        missing = [c for c in table.required_columns if c not in merged]
        if missing:
            label = f"row {i}" if len(templates) > 1 else "columns"
            raise _fail(where, f"{label} gives no {', '.join(missing)}, required in {name}")
        rows.append(tuple((col, _spec(f"{where}.{col}", merged[col])) for col in table.column_names
                          if col in merged))
    keep = tuple(_condition(f"{where}.keep", c) for c in _as_list(raw.get("keep") or []))
    drop = tuple(_condition(f"{where}.drop", c) for c in _as_list(raw.get("drop") or []))
    return TableMapping(table=name, rows=tuple(rows), keep=keep, drop=drop)


def parse_mapping(raw: dict, origin: Path | None = None) -> SourceMapping:
    where = str(origin) if origin else "mapping"
    if not isinstance(raw, dict):
        raise _fail(where, "expected a mapping with source:, files: and tables:")
    _check_keys(where, raw, _TOP_KEYS)
    for key in ("source", "files", "tables"):
        if key not in raw:
            raise _fail(where, f"{key}: is required")
    dialect = raw.get("dialect") or {}
    _check_keys(f"{where}: dialect", dialect, _DIALECT_KEYS)
    header = bool(dialect.get("header", True))
    field_names = tuple(str(f) for f in raw.get("fieldNames") or ())
    if not header and not field_names:
        raise _fail(where, "a file without a header needs fieldNames: the column order")
    header_rows = dialect.get("headerRows")
    header_row = int(_as_list(header_rows)[-1]) if header_rows else None
    if not isinstance(raw["tables"], dict) or not raw["tables"]:
        raise _fail(where, "tables: at least one canonical table: its columns")
    lookups = []
    for name, spec in (raw.get("lookups") or {}).items():
        lk_where = f"{where}: lookups.{name}"
        if not isinstance(spec, dict) or not {"file", "key", "from"} <= set(spec):
            raise _fail(lk_where, "expected file:, key: and from:")
        _check_keys(lk_where, spec, {"file", "key", "from", "optional"})
        if str(name) == "src":
            raise _fail(lk_where, "`src` names the source row in sql:; call the lookup something else")
        lookups.append(Lookup(name=str(name), file=str(spec["file"]), key=str(spec["key"]),
                              source=_spec(f"{lk_where}.from", spec["from"]),
                              optional=bool(spec.get("optional", False))))
    tables = tuple(_table(f"{where}: tables.{name}", name, spec) for name, spec in raw["tables"].items())
    encoding = raw.get("encoding")
    return SourceMapping(
        name=str(raw["source"]),
        description=str(raw.get("description", "")).strip(),
        files=tuple(str(g) for g in _as_list(raw["files"])),
        tables=tables,
        encoding=None if encoding in (None, "auto") else str(encoding),
        delimiter=dialect.get("delimiter"),
        header=header,
        header_row=header_row,
        field_names=field_names,
        quote_char=str(dialect.get("quoteChar", '"')),
        missing_values=tuple(str(v) for v in raw.get("missingValues", [""])),
        sheet=None if dialect.get("sheet") is None else str(dialect["sheet"]),
        lookups=tuple(lookups),
        origin=origin,
        fingerprint=hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:16],
    )


def _documents(path: Path) -> list[dict]:
    """One YAML file holds one mapping, or several as YAML documents separated by `---`."""
    try:
        return [d for d in yaml.safe_load_all(Path(path).read_text(encoding="utf-8")) if d is not None]
    except yaml.YAMLError as exc:
        raise MappingError(f"{path}: not valid YAML ({exc})") from exc


def _merged(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = _merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) \
            else value
    return merged


def _resolve_bases(documents: list[tuple[dict, Path]]) -> list[tuple[dict, Path]]:
    """`base: NAME` takes everything from the mapping NAME and overrides what the document gives."""
    by_name = {doc.get("source"): doc for doc, _ in documents if isinstance(doc, dict)}

    def resolve(doc: dict, origin: Path, seen: tuple[str, ...] = ()) -> dict:
        if not isinstance(doc, dict) or "base" not in doc:
            return doc
        name = doc["base"]
        if name in seen or name not in by_name:
            raise MappingError(f"{origin}: base {name!r} is {'circular' if name in seen else 'not a known mapping'}")
        parent = resolve(by_name[name], origin, (*seen, name))
        merged = _merged({k: v for k, v in parent.items() if k != "source"}, doc)
        merged.pop("base")
        return merged

    return [(resolve(doc, origin), origin) for doc, origin in documents]


def load_mapping_file(path: Path) -> list[SourceMapping]:
    return [parse_mapping(doc, origin) for doc, origin in _resolve_bases([(d, Path(path)) for d in _documents(path)])]


def canonical_mappings() -> list[SourceMapping]:
    """The identity mapping of each canonical table, for files named after it."""
    mappings = []
    for table in TABLES.values():
        stems = (table.name, f"{table.name}__*")
        specs = tuple((c.name, ColumnSpec(columns=(c.name,), optional=not c.required)) for c in table.columns)
        mappings.append(SourceMapping(
            name=f"canonical {table.name}",
            description=f"The canonical table {table.name} (README: Loading your own files)",
            files=tuple(f"{stem}{suffix}" for stem in stems for suffix in DATA_SUFFIXES),
            tables=(TableMapping(table=table.name, rows=(specs,)),),
            canonical=True,
            fingerprint="canonical-1",
        ))
    return mappings


def source_locations(given: tuple[Path, ...] | list[Path] = ()) -> list[Path]:
    """Where mappings are read from, in order: the locations given (`--sources`, SALESFUNNEL_SOURCES),
    then the shipped `sources/` folder."""
    return list(dict.fromkeys([*given, SHIPPED_SOURCES]))


@dataclass
class MappingSet:
    """Every mapping in use, in the order they are tried: yours, the canonical names, the shipped ones."""

    mappings: list[SourceMapping] = field(default_factory=list)

    @classmethod
    def load(cls, locations: list[Path]) -> MappingSet:
        documents, shipped_from = [], set()
        for location in locations:
            location = Path(location)
            if not location.exists():
                raise MappingError(f"{location}: no such mapping file or folder")
            files = sorted(location.glob("*.yml")) + sorted(location.glob("*.yaml")) if location.is_dir() \
                else [location]
            if location.resolve() == SHIPPED_SOURCES.resolve():
                shipped_from.update(files)
            documents += [(doc, path) for path in files for doc in _documents(path)]
        parsed = [parse_mapping(doc, origin) for doc, origin in _resolve_bases(documents)]
        own = [m for m in parsed if m.origin not in shipped_from]
        shipped = [m for m in parsed if m.origin in shipped_from]
        return cls(own + canonical_mappings() + shipped)

    def candidates(self, file_name: str) -> list[SourceMapping]:
        return [m for m in self.mappings if m.matches(file_name)]

    def lookup_file_names(self) -> set[str]:
        return {Path(lk.file).name.casefold() for m in self.mappings for lk in m.lookups}
