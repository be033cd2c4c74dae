"""The report's lists (leads at risk, deals sitting in a stage, drop-offs, contracts ending): HTML tables
and CSV downloads (`Downloads`: in the page up to a number of rows, so they work offline and by e-mail;
a longer list in a file beside the page). Every text that leaves the warehouse this way is neutralised
first (`neutralise`): a value a spreadsheet would run as a formula is prefixed with an apostrophe, and
the `<` of anything that could open a tag becomes `‹`, so a client name cannot become markup in a chart
(plotly.js renders some HTML in its texts); `<=4` stays as it is."""

from __future__ import annotations

import base64
import html
import re
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.ingest.reading import sql_ident, sql_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel, LibreOffice and Sheets read as a formula
SHOWN_ROWS = 50
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_UNSAFE = r"^[=+\-@\t\r]|<[A-Za-z/!?]"  # a text `neutralise` changes: a formula start or a tag opening


def neutralise(value):
    """Text safe to put in a spreadsheet or a page; other values as they are."""
    if not isinstance(value, str):
        return value
    value = _TAG_OPEN.sub("‹", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column of a mart frame neutralised (numbers and dates are left alone)."""
    text = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    return frame.assign(**{c: _neutralise_column(frame[c]) for c in text}) if text else frame


def _neutralise_column(values: pd.Series) -> pd.Series:
    """Each distinct value that needs it neutralised once: a mart column repeats a few values over many
    rows (3M calls of `neutralise` for the SF10 marts), and an id column has few values that need it
    (a string column is searched by pyarrow's regex, not value by value in Python)."""
    suspects = values[values.str.contains(_UNSAFE, regex=True, na=False)] if pd.api.types.is_string_dtype(values) \
        else values.dropna()
    changed = {v: safe for v in suspects.unique() if (safe := neutralise(v)) != v}
    return values.replace(changed) if changed else values


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    return html.escape(str(value))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV: UTF-8 with a byte-order mark (for Excel), every text neutralised. DuckDB writes it
    (SF10's lists, 590k rows: 1 s against 2.8 s for pandas' `to_csv`); a datetime column of midnights
    only is written as dates, as pandas did. Unlike pandas, an empty text is `""` (a missing one is
    nothing) and booleans are `true`/`false`: spreadsheets read both."""
    safe = neutralise_frame(frame)
    columns = []
    for name in safe.columns:
        quoted = sql_ident(str(name))
        values = safe[name].dropna()
        dates = pd.api.types.is_datetime64_any_dtype(values) and bool((values == values.dt.normalize()).all())
        columns.append(f"CAST({quoted} AS DATE) AS {quoted}" if dates else quoted)
    con = _csv_writer()
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / "list.csv"
        con.register("list_rows", safe)
        try:
            con.execute(f"COPY (SELECT {', '.join(columns)} FROM list_rows) TO {sql_text(str(written))} (HEADER)")
        finally:
            con.unregister("list_rows")
        return "\ufeff".encode() + written.read_bytes()


@cache
def _csv_writer() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB for the report's CSV files (opening one is about 20 ms: 26 lists at SF10)."""
    return duckdb.connect()


def csv_link(frame: pd.DataFrame, file_name: str, text: str) -> str:
    """A link that downloads `frame` as CSV from the page itself."""
    # Base64, not percent-encoding: urllib's quote walks the text in Python (11 s for the lists at SF10).
    href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv_bytes(frame)).decode("ascii")
    return f'<a class="download" download="{html.escape(file_name)}" href="{href}">{html.escape(text)}</a>'


@dataclass
class Downloads:
    """The CSV downloads of one report page. A list of up to `rows_in_page` rows travels in the page (it
    opens anywhere, from an e-mail too); a longer one would make the page too heavy to mail or open (85 MB
    of lists at 10M calls), so it is a file under `folder` (relative to the page), collected in `files`
    for `write_report`."""

    folder: str
    rows_in_page: int
    files: dict[str, pd.DataFrame] = field(default_factory=dict)

    def link(self, frame: pd.DataFrame, file_name: str, text: str) -> str:
        if len(frame) <= self.rows_in_page:
            return csv_link(frame, file_name, text)
        path = f"{self.folder}/{file_name}"
        self.files[path] = frame
        return f'<a class="download" download="{html.escape(file_name)}" href="{html.escape(path)}">' \
               f'{html.escape(text)}</a> <span class="beside">({html.escape(path)})</span>'


def html_table(frame: pd.DataFrame, headers: dict[str, str], table_id: str, more_text: str = "") -> str:
    """The first rows of `frame` (its `headers` columns, under those titles) as an HTML table, and
    `more_text` under it when there is one (the caller knows how many rows the whole list has)."""
    shown = neutralise_frame(frame.head(SHOWN_ROWS))
    head = "".join(f"<th>{html.escape(title)}</th>" for title in headers.values())
    rows = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
                   for row in shown[list(headers)].itertuples(index=False))
    more = f'<p class="more">{html.escape(more_text)}</p>' if more_text else ""
    return f'<table class="list" id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}'
