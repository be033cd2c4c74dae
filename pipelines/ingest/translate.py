"""A table mapping as SQL: from the source records in `_src` to typed, checked canonical rows.

`checked_rows_sql` builds one SELECT per row template of the mapping (a snapshot export gives several
canonical rows per record) and unions them. Each row carries `_line` (the record's line in the file),
`_template`, `_filter` (why a row filter dropped it, else NULL), the typed canonical columns and `_reason`
(every rule it breaks, `; `-joined, else NULL).
"""

from __future__ import annotations

from pipelines.canonical import EARLIEST_EVENT, FUTURE_TOLERANCE, MAX_TEXT_LENGTH, Column, Table
from pipelines.ingest.mappings import ColumnSpec, Condition, SourceMapping, TableMapping
from pipelines.ingest.reading import pattern_group, source_column, sql_ident, sql_text

SQL_TYPES = {"text": "VARCHAR", "timestamp": "TIMESTAMP", "date": "DATE", "integer": "BIGINT", "number": "DOUBLE"}


class MappingSqlError(ValueError):
    """A mapping that names something the file does not have."""


def lookup_table(name: str) -> str:
    """The temp table a lookup's file is read into."""
    return sql_ident("_lk_" + name)


class _Scope:
    """Resolves the names a mapping uses to SQL: source columns of `_src` and lookup columns."""

    def __init__(self, mapping: SourceMapping, columns: list[str], lookup_columns: dict[str, list[str]]):
        self.mapping = mapping
        self.columns = columns
        self.lookup_columns = lookup_columns

    def ref(self, name: str, optional: bool = False) -> str:
        found = source_column(self.columns, name)
        if found is not None:
            return f"src.{sql_ident(found)}"
        alias, _, column = name.partition(".")
        if column and alias in self.lookup_columns:
            looked = source_column(self.lookup_columns[alias], column)
            if looked is None:
                raise MappingSqlError(f"lookup {alias} has no column {column!r}; it has "
                                      f"{', '.join(self.lookup_columns[alias])}")
            return f"{sql_ident(alias)}.{sql_ident(looked)}"
        if optional:
            return "CAST(NULL AS VARCHAR)"
        raise MappingSqlError(f"the file has no column {name!r}")

    def missing(self, expr: str) -> str:
        """A value that is blank or one of the mapping's missing values is NULL; others are trimmed."""
        values = ", ".join(sql_text(v) for v in dict.fromkeys(["", *self.mapping.missing_values]))
        return f"(CASE WHEN trim({expr}) IN ({values}) THEN NULL ELSE trim({expr}) END)"

    def text(self, spec: ColumnSpec) -> str:
        if spec.value is not None:
            expr = sql_text(spec.value)
        elif spec.sql is not None:
            expr = self.missing(f"CAST(({spec.sql}) AS VARCHAR)")
        else:
            parts = [self.missing(self.ref(c, spec.optional)) for c in spec.columns]
            expr = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        if spec.pattern:
            expr = f"nullif(regexp_extract({expr}, {sql_text(spec.pattern)}, {pattern_group(spec.pattern)}), '')"
        if spec.values:
            whens = " ".join(f"WHEN {sql_text(k.strip().casefold())} THEN {'NULL' if v == '' else sql_text(v)}"
                             for k, v in spec.values)
            otherwise = expr if spec.unmapped == "keep" else "NULL"
            expr = f"(CASE lower({expr}) {whens} ELSE {otherwise} END)"
        return expr

    def condition(self, cond: Condition) -> str:
        if cond.op == "sql":
            return f"coalesce(({cond.sql}), false)"
        value = self.text(ColumnSpec(columns=cond.columns))
        listed = ", ".join(sql_text(v.casefold()) for v in cond.values)
        return {
            "in": f"coalesce(lower({value}) IN ({listed}), false)",
            "not_in": f"NOT coalesce(lower({value}) IN ({listed}), false)",
            "empty": f"({value} IS NULL)",
            "not_empty": f"({value} IS NOT NULL)",
            "matches": f"coalesce(regexp_matches({value}, {sql_text(cond.values[0] if cond.values else '')}), false)",
        }[cond.op]


def _typed(col: Column, spec: ColumnSpec | None) -> str:
    v = f"_v_{col.name}"
    formats = spec.formats if spec else ()
    if col.kind == "timestamp":
        # The session time zone is the business one, so a value without an offset is business-local
        # time; everything is stored as UTC without a zone.
        parsed = (f"CAST(try_strptime({v}, [{', '.join(sql_text(f) for f in formats)}]) AS TIMESTAMPTZ)"
                  if formats else f"try_cast({v} AS TIMESTAMPTZ)")
        return f"timezone('UTC', {parsed})"
    if col.kind == "date":
        if formats:
            return f"CAST(try_strptime({v}, [{', '.join(sql_text(f) for f in formats)}]) AS DATE)"
        return f"coalesce(try_cast({v} AS DATE), CAST(try_cast({v} AS TIMESTAMP) AS DATE))"
    if col.kind == "integer":
        whole = f"(CASE WHEN try_cast({v} AS DOUBLE) = floor(try_cast({v} AS DOUBLE)) " \
                f"THEN CAST(try_cast({v} AS DOUBLE) AS BIGINT) END)"
        if "h:mm:ss" in formats:
            part = lambda i: f"CAST(split_part({v}, ':', {i}) AS BIGINT)"  # noqa: E731
            return (f"(CASE WHEN regexp_full_match({v}, '[0-9]+:[0-5]?[0-9]:[0-5]?[0-9]') "
                    f"THEN {part(1)} * 3600 + {part(2)} * 60 + {part(3)} "
                    f"WHEN regexp_full_match({v}, '[0-9]+:[0-5]?[0-9]') THEN {part(1)} * 60 + {part(2)} "
                    f"ELSE {whole} END)")
        return whole
    if col.kind == "number":
        decimal = spec.decimal if spec else None
        if decimal == ",":
            return f"try_cast(replace(regexp_replace({v}, '[\\s\u00a0.]', '', 'g'), ',', '.') AS DOUBLE)"
        if decimal == ".":
            return f"try_cast(regexp_replace({v}, '[\\s\u00a0,]', '', 'g') AS DOUBLE)"
        return f"try_cast(regexp_replace({v}, '[\\s\u00a0]', '', 'g') AS DOUBLE)"
    return v


def _problems(table: Table, specs: dict[str, ColumnSpec]) -> list[str]:
    problems = []
    for col in table.columns:
        v = f"_v_{col.name}"
        spec = specs.get(col.name)
        if col.required:
            problems.append(f"CASE WHEN {v} IS NULL THEN 'missing {col.name}' END")
        if col.kind != "text":
            expected = f" (expected {' or '.join(spec.formats)})" if spec and spec.formats else ""
            problems.append(f"CASE WHEN {v} IS NOT NULL AND {col.name} IS NULL "
                            f"THEN 'bad {col.kind} in {col.name}: ' || left({v}, 80) || {sql_text(expected)} END")
        if col.accepted:
            allowed = ", ".join(sql_text(a) for a in col.accepted)
            problems.append(f"CASE WHEN {v} NOT IN ({allowed}) THEN 'unknown {col.name}: ' || left({v}, 80) END")
        if col.event_time:
            problems.append(f"CASE WHEN {col.name} > now()::TIMESTAMP + INTERVAL '{FUTURE_TOLERANCE}' "
                            f"THEN '{col.name} in the future: ' || {v} "
                            f"WHEN {col.name} < TIMESTAMP '{EARLIEST_EVENT}' "
                            f"THEN '{col.name} before {EARLIEST_EVENT[:4]}: ' || {v} END")
        if col.kind == "text":
            problems.append(f"CASE WHEN length({v}) > {MAX_TEXT_LENGTH} "
                            f"THEN '{col.name} too long (' || length({v}) || ' characters)' "
                            f"WHEN contains({v}, chr(0)) THEN 'NUL byte in {col.name}' END")
    problems += [f"CASE WHEN coalesce({rule.violated}, false) THEN '{rule.reason}' END" for rule in table.rules]
    return problems


def _template_sql(table: Table, specs: dict[str, ColumnSpec], index: int, scope: _Scope, source: str,
                  filter_expr: str) -> str:
    texts = []
    for col in table.columns:
        expr = scope.text(specs[col.name]) if col.name in specs else "CAST(NULL AS VARCHAR)"
        if col.case:
            expr = f"{col.case}({expr})"
        texts.append(f"{expr} AS _v_{col.name}")
    typed = ", ".join(f"{_typed(c, specs.get(c.name))} AS {c.name}" for c in table.columns)
    columns = ", ".join(table.column_names)
    return f"""
        SELECT _line, {index} AS _template, _filter, {columns},
               nullif(concat_ws('; ', {", ".join(_problems(table, specs))}), '') AS _reason
        FROM (
            SELECT *, {typed}
            FROM (SELECT src._line, {filter_expr} AS _filter, {", ".join(texts)} {source}) AS t{index}_text
        ) AS t{index}_typed"""


def _filter_sql(mapping: TableMapping, scope: _Scope) -> str:
    whens = [f"WHEN NOT {scope.condition(c)} THEN {sql_text(c.reason)}" for c in mapping.keep]
    whens += [f"WHEN {scope.condition(c)} THEN {sql_text(c.reason)}" for c in mapping.drop]
    return f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS VARCHAR)"


def checked_rows_sql(table: Table, mapping: SourceMapping, table_mapping: TableMapping, columns: list[str],
                     lookup_columns: dict[str, list[str]]) -> str:
    """`CREATE TEMP TABLE _checked AS ...` for one canonical table fed by `mapping` from `_src`."""
    scope = _Scope(mapping, columns, lookup_columns)
    joins = []
    for lk in mapping.lookups:
        key = source_column(lookup_columns[lk.name], lk.key)
        if key is None:
            raise MappingSqlError(f"lookup {lk.name}: its file has no column {lk.key!r}")
        alias = sql_ident(lk.name)
        # The first row of a key wins: a lookup must not multiply the records it is joined to.
        joins.append(f"""LEFT JOIN (SELECT * FROM {lookup_table(lk.name)}
                                    QUALIFY row_number() OVER (PARTITION BY {sql_ident(key)} ORDER BY _line) = 1)
                         AS {alias} ON {alias}.{sql_ident(key)} = {scope.text(lk.source)}""")
    source = f"FROM _src AS src {' '.join(joins)}"
    filter_expr = _filter_sql(table_mapping, scope)
    templates = [_template_sql(table, specs, i, scope, source, filter_expr)
                 for i, specs in enumerate(table_mapping.templates(), 1)]
    return f"""
        CREATE OR REPLACE TEMP TABLE _checked AS
        {" UNION ALL ".join(templates)}"""
