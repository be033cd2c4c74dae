"""The bad-input suite: malformed files as they arrive in a landing folder, each with what must happen to
it. Every row a loaded file offers is an exact copy of a worked-example row, a new client with no
events, or a row that breaks a rule, so a run over the worked example plus any of these files gives the
worked example's numbers. `write_bad_inputs(folder)` writes them; `BAD_INPUTS` says what to expect.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import WORKED_EXAMPLE

CALLS = (WORKED_EXAMPLE / "calls.csv").read_text().splitlines()
HEADER, ROWS = CALLS[0], CALLS[1:]
STAGES_HEADER = "deal_id,client_id,stage,entered_at,employee_id,loss_reason"
CLIENTS_HEADER = "client_id,name,client_type,region,industry,services,equipment,revenue_tier,created_at"


@dataclass(frozen=True)
class BadInput:
    name: str  # the file name in the landing folder
    content: bytes | None  # None: a folder
    what: str  # what is wrong with it
    status: str  # loaded | rejected
    counts: tuple[int, int, int, int] = (0, 0, 0, 0)  # rows in, loaded, duplicate, quarantined
    reason: str = ""  # a part of the rejection or quarantine reason

    @property
    def table(self) -> str:
        return self.name.split("__")[0].split(".")[0]


def _csv(*lines: str, end: str = "\n", encoding: str = "utf-8") -> bytes:
    return (end.join(lines) + end).encode(encoding)


def _call(call_id: str, started: str = "2026-03-10T10:00:00+03:00", direction: str = "outbound",
          disposition: str = "ANSWERED", duration: str = "60", outcome: str = "callback") -> str:
    return f"{call_id},{started},{direction},E1,C01,+74951230001,{disposition},{duration},{outcome}"


def _client(client_id: str, name: str) -> str:
    return f"{client_id},{name},legal_entity,Moscow,retail,,,B,2026-03-01"


BAD_INPUTS: list[BadInput] = [
    BadInput("calls__empty.csv", b"", "0 bytes: a copy not yet written", "rejected", reason="empty file (0 bytes)"),
    BadInput("calls__header_only.csv", _csv(HEADER), "a header and no rows", "loaded"),
    BadInput("calls__bom.csv", b"\xef\xbb\xbf" + _csv(HEADER, *ROWS[:3]), "UTF-8 byte-order mark", "loaded",
             (3, 0, 3, 0)),
    BadInput("clients__cp1251.csv", _csv(CLIENTS_HEADER, _client("C901", "ООО «Ромашка»"), encoding="cp1251"),
             "cp1251 with Cyrillic names", "loaded", (1, 1, 0, 0)),
    BadInput("clients__mixed_encoding.csv",
             _csv(CLIENTS_HEADER, _client("C902", "ООО «Лютик»")) + _client("C903", "ООО «Василёк»").encode("cp1251")
             + b"\n", "UTF-8 with one cp1251 line", "loaded", (2, 2, 0, 0)),
    BadInput("calls__truncated.csv", _csv(HEADER, *ROWS[:2]) + ROWS[2][:30].encode(),
             "cut in the middle of its last row", "loaded", (3, 0, 2, 1), "MISSING COLUMNS"),
    BadInput("calls__overlong_row.csv", _csv(HEADER, ROWS[0], ROWS[1] + ",extra,fields"), "a row with extra fields",
             "loaded", (2, 0, 1, 1), "TOO MANY COLUMNS"),
    BadInput("calls__wrong_column_count.csv", _csv(HEADER, *(r + ",x" for r in ROWS[:4])),
             "every row one field too many", "loaded", (4, 0, 0, 4), "TOO MANY COLUMNS"),
    BadInput("calls__nul_bytes.csv", _csv(HEADER, ROWS[0], _call("KN1").replace("E1", "E\x001")),
             "a NUL byte inside a field", "loaded", (2, 0, 1, 1), "NUL byte in employee_id"),
    BadInput("calls__nul_tail.csv", _csv(HEADER, ROWS[0]) + b"\x00" * 4096,
             "a half-copied file: its tail is NUL bytes", "loaded", (2, 0, 1, 1)),
    BadInput("calls__bad_dates.csv", _csv(HEADER, _call("KD1", "31.02.2026 10:00"), _call("KD2", "2026-13-01T10:00")),
             "dates that do not exist", "loaded", (2, 0, 0, 2), "bad timestamp in started_at"),
    BadInput("calls__future_dates.csv", _csv(HEADER, _call("KF1", "2031-03-10T10:00:00+03:00")),
             "a call dated years ahead", "loaded", (1, 0, 0, 1), "started_at in the future"),
    BadInput("calls__ancient_dates.csv", _csv(HEADER, _call("KA1", "1900-01-01T10:00:00+03:00")),
             "a default date of 1900", "loaded", (1, 0, 0, 1), "started_at before 1990"),
    BadInput("calls__negative_duration.csv", _csv(HEADER, _call("KG1", duration="-30")), "negative duration",
             "loaded", (1, 0, 0, 1), "negative duration_s"),
    BadInput("calls__unknown_disposition.csv", _csv(HEADER, _call("KU1", disposition="CONGESTION", outcome="")),
             "a disposition the model does not know", "loaded", (1, 0, 0, 1), "unknown disposition: CONGESTION"),
    BadInput("calls__outcome_unanswered.csv", _csv(HEADER, _call("KO1", disposition="BUSY", outcome="refused")),
             "an outcome on a call nobody answered", "loaded", (1, 0, 0, 1), "outcome on a call that was not answered"),
    BadInput("calls__missing_key.csv", _csv(HEADER, _call("")), "a row without its key", "loaded", (1, 0, 0, 1),
             "missing call_id"),
    BadInput("deal_stages__unknown_stage.csv", _csv(STAGES_HEADER, "D97,C01,negotiation,2026-03-05T10:00:00+03:00,M1,"),
             "a stage not in the catalog", "loaded", (1, 0, 0, 1), "unknown stage: negotiation"),
    BadInput("deal_stages__loss_reason.csv", _csv(STAGES_HEADER, "D96,C01,meeting_held,2026-03-05T10:00:00+03:00,M1,x"),
             "a loss reason on a stage that is not a loss", "loaded", (1, 0, 0, 1), "loss_reason on a stage"),
    BadInput("deal_stages__out_of_order.csv",
             _csv(STAGES_HEADER, "D98,C03,meeting_scheduled,2026-03-12T10:00:00+03:00,M1,",
                  "D98,C03,meeting_held,2026-03-09T10:00:00+03:00,M1,"),
             "a stage entered before the stage before it", "loaded", (2, 0, 0, 2), "stage history out of order"),
    BadInput("calls__conflicting_duplicates.csv", _csv(HEADER, _call("KC1"), _call("KC1", outcome="refused")),
             "one key, two different rows in one file", "loaded", (2, 0, 0, 2), "conflicting rows for the same key"),
    BadInput("clients__10mb_field.csv", _csv(CLIENTS_HEADER, _client("C904", "Я" * (5 * 2**20))),
             "a 10 MB field", "loaded", (1, 0, 0, 1), "name too long"),
    BadInput("clients__embedded_newlines.csv",
             _csv(CLIENTS_HEADER, _client("C905", '"ООО ""Две\nстроки"""'), _client("C906", "ООО Третья")),
             "a quoted field with a line break and quotes", "loaded", (2, 2, 0, 0)),
    BadInput("clients__formula.csv", _csv(CLIENTS_HEADER, _client("C907", '"=HYPERLINK(""http://x.example"",""y"")"')),
             "a spreadsheet formula as a client name", "loaded", (1, 1, 0, 0)),
    BadInput("calls__semicolons.csv", _csv(HEADER.replace(",", ";"), *(r.replace(",", ";") for r in ROWS[:2])),
             "';' between fields", "loaded", (2, 0, 2, 0)),
    BadInput("calls__tabs.tsv", _csv(HEADER.replace(",", "\t"), *(r.replace(",", "\t") for r in ROWS[:2])),
             "tab-separated", "loaded", (2, 0, 2, 0)),
    BadInput("calls__crlf.csv", _csv(HEADER, *ROWS[:2], end="\r\n"), "Windows line ends", "loaded", (2, 0, 2, 0)),
    BadInput("calls__mixed_line_ends.csv", b"Call report\n" + _csv(HEADER, *ROWS[:2], end="\r\n") + b"\r",
             "a title with \\n above rows with \\r\\n, and a stray \\r", "loaded", (2, 0, 2, 0)),
    BadInput("calls__title_line.csv", _csv("Отчёт по звонкам за март 2026", "", HEADER, *ROWS[:2]),
             "a title line and a blank line above the header", "loaded", (2, 0, 2, 0)),
    BadInput("calls__blank_lines.csv", _csv(HEADER, ROWS[0], "", "", ROWS[1], "", _call("KB1", "not a time")),
             "blank lines between rows", "loaded", (3, 0, 2, 1), "bad timestamp"),
    BadInput("calls__whitespace_line.csv", _csv(HEADER, ROWS[0], "   ", ROWS[1]), "a line of spaces", "loaded",
             (3, 0, 2, 1), "MISSING COLUMNS"),
    BadInput("calls__utf16.csv", _csv(HEADER.replace(",", "\t"), ROWS[0].replace(",", "\t"), encoding="utf-16"),
             "UTF-16 with a byte-order mark, tab-separated (Excel's 'Unicode text')", "loaded", (1, 0, 1, 0)),
    BadInput("calls__gzipped.csv.gz", gzip.compress(_csv(HEADER, *ROWS[:3]), mtime=0), "gzip-compressed", "loaded",
             (3, 0, 3, 0)),
    BadInput("calls__trailing_delimiter.csv", _csv(HEADER + ",", *(r + "," for r in ROWS[:2])),
             "a ',' after the last field of every line", "loaded", (2, 0, 2, 0)),
    BadInput("calls__quoted_everything.csv",
             _csv(*(",".join(f'"{f}"' for f in line.split(",")) for line in [HEADER, *ROWS[:2]])),
             "every field quoted", "loaded", (2, 0, 2, 0)),
    BadInput("calls__header_repeated.csv", _csv(HEADER, ROWS[0], HEADER, ROWS[1]),
             "two exports pasted together, header included", "loaded", (3, 0, 2, 1), "bad timestamp in started_at"),
    BadInput("calls__unterminated_quote.csv", _csv(HEADER, ROWS[0], ROWS[1] + ',"no end'), "a quote never closed",
             "loaded", (2, 0, 1, 1)),
    BadInput("calls__stray_quotes.csv", _csv(HEADER, ROWS[0], 'K099,"2026-03-10 "10:00"",outbound,E1,C01,,BUSY,0,'),
             "quotes inside an unquoted field", "loaded", (2, 0, 1, 1)),
    BadInput("employees__left_before_hired.csv",
             _csv("employee_id,full_name,team,role,hired_on,left_on", "E9,Test,North,caller,2026-03-10,2026-03-01"),
             "left before hired", "loaded", (1, 0, 0, 1), "left_on before hired_on"),
    BadInput("calls__no_header.csv", _csv(*ROWS[:3]), "data without a header line", "rejected",
             reason="no header with the columns canonical calls needs"),
    BadInput("calls__missing_required.csv", _csv("call_id,started_at,direction", "K1,2026-03-10T10:00:00,outbound"),
             "a required column missing", "rejected", reason="lacks disposition"),
    BadInput("calls__russian_headers.csv", _csv("Номер;Начало;Направление;Статус", "1;10.03.2026 10:00;исх;ОТВЕЧЕН",
                                                encoding="cp1251"),
             "a CRM's own headers, cp1251, no mapping for them", "rejected", reason="read as cp1251 (detected)"),
    BadInput("calls__zip_renamed.csv", b"PK\x03\x04" + bytes(range(256)) * 8, "a workbook saved with .csv",
             "rejected", reason="not a text table: the file is a ZIP archive"),
    BadInput("calls__pdf.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a PDF with a .csv name", "rejected",
             reason="a PDF document"),
    BadInput("calls__html_error.csv", b"<html><body>502 Bad Gateway</body></html>\n", "an HTML error page",
             "rejected", reason="an HTML page"),
    BadInput("calls__broken.parquet", b"PAR1" + b"\x00garbage" * 20, "a Parquet file cut short", "rejected",
             reason="not a readable Parquet file"),
    BadInput("calls (1).csv", _csv(HEADER, ROWS[0]), "a browser's copy name", "rejected",
             reason="no mapping matches the name"),
    BadInput("notes.txt", b"call Anna back on Monday\n", "a note left in the folder", "rejected",
             reason="no mapping matches the name"),
    BadInput("calls__folder.csv", None, "a folder named like a file", "rejected", reason="a folder, not a file"),
    BadInput("calls__spaces and ünïcödé.csv", _csv(HEADER, ROWS[0]), "an odd file name", "loaded", (1, 0, 1, 0)),
]


def write_bad_inputs(folder: Path, inputs: list[BadInput] | None = None) -> list[BadInput]:
    folder.mkdir(parents=True, exist_ok=True)
    chosen = BAD_INPUTS if inputs is None else inputs
    for bad in chosen:
        path = folder / bad.name
        if bad.content is None:
            path.mkdir()
        else:
            path.write_bytes(bad.content)
    return chosen
