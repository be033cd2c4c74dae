"""Source mappings, feature by feature, on small files through the real loader (DuckDB): value maps,
formats, durations, decimals, constants, filters, lookups, patterns, snapshots, headers, encodings,
spreadsheets; and mappings that are wrong get errors that say where."""

from __future__ import annotations

import zipfile
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.loader import connect, load_file
from pipelines.ingest.mappings import MappingError, MappingSet, load_mapping_file, source_locations
from pipelines.ingest.reading import Rejected, find_layout


def mapping_set(tmp_path: Path, text: str) -> MappingSet:
    folder = tmp_path / "sources"
    folder.mkdir(exist_ok=True)
    (folder / "m.yml").write_text(text, encoding="utf-8")
    return MappingSet.load([folder])


def load(tmp_path: Path, mappings: MappingSet, name: str, content: bytes):
    landing = tmp_path / "landing"
    landing.mkdir(exist_ok=True)
    (landing / name).write_bytes(content)
    con = connect(tmp_path / "w.duckdb", "Europe/Moscow")
    return con, load_file(con, landing / name, mappings)


CALLS_MAPPING = """
source: pbx
files: ["pbx*.csv"]
tables:
  calls:
    drop:
      - {column: Type, in: [SMS], reason: an SMS}
    columns:
      call_id: Id
      started_at: {column: Start, format: ["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"]}
      direction: {column: Type, map: {Out: outbound, In: inbound}}
      employee_id: {column: Agent, pattern: "^Ext (\\\\d+)"}
      disposition: {column: Result, map: {OK: ANSWERED, Missed: NO ANSWER}, unmapped: keep}
      duration_s: {column: Talk, format: "h:mm:ss"}
      client_phone: {column: [Mobile, Phone]}
      outcome: {value: no_decision}
"""


def test_value_maps_formats_durations_patterns_constants_and_filters(tmp_path):
    mappings = mapping_set(tmp_path, CALLS_MAPPING.replace("outcome: {value: no_decision}", ""))
    con, [load_] = load(tmp_path, mappings, "pbx_march.csv", (
        b"Id,Start,Type,Agent,Result,Talk,Mobile,Phone\n"
        b"1,02.03.2026 10:00,Out,Ext 101 (Anna),OK,0:02:05,,+7 495 123-45-67\n"
        b"2,02.03.2026 10:05:30,in,Ext 102,missed,0:00:00,8 900 111 22 33,\n"
        b"3,02.03.2026 10:07,SMS,Ext 101,OK,0:00:00,,\n"
        b"4,31.02.2026 10:00,Out,Ext 101,Dropped,1:00:01,,\n"))
    assert (load_.rows_in, load_.rows_loaded, load_.rows_quarantined, load_.rows_filtered) == (4, 2, 1, 1)
    assert "1 row(s) filtered: an SMS" in load_.notes
    rows = con.execute("SELECT call_id, CAST(started_at AS VARCHAR), direction, employee_id, disposition, duration_s, "
                       "client_phone FROM raw.calls ORDER BY call_id").fetchall()
    assert rows == [("1", "2026-03-02 07:00:00", "outbound", "101", "ANSWERED", 125, "+7 495 123-45-67"),
                    ("2", "2026-03-02 07:05:30", "inbound", "102", "NO ANSWER", 0, "8 900 111 22 33")]
    [(reason,)] = con.execute("SELECT reason FROM raw._quarantine").fetchall()
    assert reason == ("bad timestamp in started_at: 31.02.2026 10:00 (expected %d.%m.%Y %H:%M or %d.%m.%Y %H:%M:%S); "
                      "unknown disposition: DROPPED")


def test_decimal_marks_and_constants(tmp_path):
    mappings = mapping_set(tmp_path, """
source: crm_contracts
files: ["contracts_export*.csv"]
dialect: {delimiter: ";"}
tables:
  contracts:
    columns:
      contract_id: Номер
      amount: {column: Сумма, decimal: ","}
      currency: {value: rub}
""")
    con, [load_] = load(tmp_path, mappings, "contracts_export.csv",
                        "Номер;Сумма\nA;1 200 000,50\nB;1.200.000,50\nC;12,5\nD;много\n".encode("cp1251"))
    assert (load_.rows_loaded, load_.rows_quarantined) == (3, 1)
    assert con.execute("SELECT contract_id, amount, currency FROM raw.contracts ORDER BY 1").fetchall() == [
        ("A", 1200000.5, "RUB"), ("B", 1200000.5, "RUB"), ("C", 12.5, "RUB")]
    assert "cp1251 (detected)" in load_.notes


def test_a_lookup_from_a_second_file_and_an_optional_lookup_that_is_absent(tmp_path):
    text = CALLS_MAPPING.replace('      employee_id: {column: Agent, pattern: "^Ext (\\\\d+)"}',
                                 "      employee_id: {column: [ext.employee_id, Agent]}")
    text = text.replace('files: ["pbx*.csv"]', 'files: ["pbx*.csv"]\nlookups:\n  ext: {file: extensions.csv, '
                                                 'key: extension, from: Agent, optional: true}')
    mappings = mapping_set(tmp_path, text)
    content = (b"Id,Start,Type,Agent,Result,Talk,Mobile,Phone\n"
               b"1,02.03.2026 10:00,Out,101,OK,0:01:00,,\n2,02.03.2026 11:00,Out,109,OK,0:01:00,,\n")
    con, _ = load(tmp_path, mappings, "pbx_1.csv", content)
    assert con.execute("SELECT employee_id FROM raw.calls ORDER BY call_id").fetchall() == [("101",), ("109",)]
    con.close()
    (tmp_path / "sources" / "extensions.csv").write_text("extension,employee_id\n101,E1\n101,E9\n")
    con, [again] = load(tmp_path, mappings, "pbx_1.csv", content)  # same file: reloaded, the lookup changed
    assert again.status == "loaded" and again.rows_loaded == 1 and again.rows_duplicate == 1
    assert con.execute("SELECT employee_id FROM raw.calls WHERE _load_id = ?", [again.load_id]).fetchall() == [("E1",)]


def test_a_snapshot_gives_several_stage_rows_per_deal(tmp_path):
    mappings = mapping_set(tmp_path, """
source: snapshot
files: ["opportunities*.csv"]
missingValues: ["", "-"]
tables:
  deal_stages:
    columns: {deal_id: Opportunity, employee_id: Owner}
    rows:
      - {stage: {value: meeting_scheduled}, entered_at: {column: Created, format: "%Y-%m-%d"}}
      - stage: {column: Stage, map: {Negotiation: proposal_sent, Won: contract_signed, Lost: lost}}
        entered_at: {column: Closed, format: "%Y-%m-%d"}
        loss_reason: {sql: "case when Stage = 'Lost' then 'price' end"}
""")
    con, [load_] = load(tmp_path, mappings, "opportunities.csv", (
        b"Opportunity,Owner,Stage,Created,Closed\nO1,M1,Negotiation,2026-03-01,-\nO2,M2,Won,2026-03-02,2026-03-20\n"
        b"O3,M1,Lost,2026-03-03,2026-03-04\n"))
    assert (load_.rows_in, load_.rows_loaded) == (6, 6)
    assert con.execute("SELECT deal_id, stage, CAST(entered_at AS DATE), loss_reason FROM raw.deal_stages "
                       "ORDER BY deal_id, stage").fetchall() == [
        ("O1", "meeting_scheduled", duckdb.sql("SELECT DATE '2026-02-28'").fetchall()[0][0], None),
        ("O1", "proposal_sent", None, None),
        ("O2", "contract_signed", duckdb.sql("SELECT DATE '2026-03-19'").fetchall()[0][0], None),
        ("O2", "meeting_scheduled", duckdb.sql("SELECT DATE '2026-03-01'").fetchall()[0][0], None),
        ("O3", "lost", duckdb.sql("SELECT DATE '2026-03-03'").fetchall()[0][0], "price"),
        ("O3", "meeting_scheduled", duckdb.sql("SELECT DATE '2026-03-02'").fetchall()[0][0], None)]


def test_the_header_is_found_below_title_lines_and_a_missing_one_is_named(tmp_path):
    mapping = mapping_set(tmp_path, CALLS_MAPPING).candidates("pbx.csv")[0]
    lines = ["Call report", "exported 01.04.2026", "", "Id;Start;Type;Agent;Result;Talk;Mobile;Phone", "1;..."]
    layout = find_layout(lines, mapping)
    assert (layout.delimiter, layout.header_line) == (";", 4)
    with pytest.raises(Rejected, match=r"line 4 \(delimiter ';'\) lacks Talk.*line 1 reads 'Call report'"):
        find_layout([*lines[:3], "Id;Start;Type;Agent;Result;Mobile;Phone"], mapping)


def _xlsx(path: Path, rows: list[list]) -> None:
    """A minimal .xlsx (what a CRM's 'Export to Excel' writes), strings inline, numbers as numbers."""
    def cell(ref: str, value) -> str:
        if isinstance(value, (int, float)):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
    sheet_rows = "".join(f'<row r="{i}">' + "".join(cell(f"{chr(65 + j)}{i}", v) for j, v in enumerate(row))
                         + "</row>" for i, row in enumerate(rows, start=1))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
                   '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                   'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                   '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets><sheet '
                   'name="Deals" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                   f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                   'Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {ns}><sheetData>{sheet_rows}'
                   '</sheetData></worksheet>')


def test_a_spreadsheet_export_reads_like_a_csv(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    _xlsx(landing / "clients__crm.xlsx", [["Client report"], ["client_id", "name", "phone"],
                                          ["C1", "ООО Тест", 79001234567], ["C2", "ИП Иванов", ""]])
    con = connect(tmp_path / "w.duckdb", "Europe/Moscow")
    [load_] = load_file(con, landing / "clients__crm.xlsx", MappingSet.load([]))
    assert (load_.status, load_.rows_loaded) == ("loaded", 2), load_.reason
    assert con.execute("SELECT client_id, name, phone, _line FROM raw.clients ORDER BY 1").fetchall() == [
        ("C1", "ООО Тест", "79001234567", 3), ("C2", "ИП Иванов", None, 4)]


@pytest.mark.parametrize(("text", "message"), [
    ("source: x\nfiles: [a.csv]\ntables: {calls: {columns: {call_id: Id}}}",
     "columns gives no started_at, direction, disposition, required in calls"),
    ("source: x\nfiles: [a.csv]\ntables: {calles: {columns: {call_id: Id}}}", "unknown canonical table 'calles'"),
    ("source: x\nfiles: [a.csv]\ntables: {clients: {columns: {client_id: Id, colour: C}}}",
     "colour not column(s) of clients"),
    ("source: x\nfiles: [a.csv]\ntables: {clients: {columns: {client_id: {column: Id, fromat: x}}}}",
     "tables.clients.client_id: unknown key(s) fromat"),
    ("source: x\nfiles: [a.csv]\ntables: {clients: {columns: {client_id: Id}, drop: [{column: T, in: [a], "
     "reason: one, two}]}}", "tables.clients.drop: unknown key(s) two"),
    ("source: x\nfiles: [a.csv]\nlookups: {ext: {file: e.csv, key: k, on: Id}}\ntables: {clients: {columns: "
     "{client_id: Id}}}", "lookups.ext: expected file:, key: and from:"),
    ("source: x\nbase: nowhere\nfiles: [a.csv]\ntables: {clients: {columns: {client_id: Id}}}",
     "base 'nowhere' is not a known mapping"),
    ("source: x\nfiles: [a.csv]\ndialect: {header: false}\ntables: {clients: {columns: {client_id: Id}}}",
     "a file without a header needs fieldNames"),
    ("source: x\nfiles: [a.csv\n", "not valid YAML"),
])
def test_a_wrong_mapping_says_where(tmp_path, text, message):
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(MappingError, match="bad.yml") as raised:
        MappingSet.load([path])
    assert message in str(raised.value)


def test_a_mapping_can_take_everything_from_another(tmp_path):
    path = tmp_path / "two.yml"
    path.write_text("source: a\nfiles: [a*.csv]\ntables: {clients: {columns: {client_id: Id, name: Name}}}\n---\n"
                    "source: b\nbase: a\nfiles: [b*.csv]\ntables: {clients: {columns: {name: Title}}}\n")
    first, second = load_mapping_file(path)
    assert dict(second.tables[0].templates()[0])["name"].columns == ("Title",)
    assert dict(second.tables[0].templates()[0])["client_id"].columns == ("Id",)
    assert second.matches("B_export.CSV") and not first.matches("b.csv")


def test_every_shipped_mapping_parses():
    shipped = [m for m in MappingSet.load(source_locations()).mappings if not m.canonical]
    assert {m.name for m in shipped} >= {"asterisk_cdr_csv_extended", "asterisk_cdr_csv", "asterisk_cdr_csv_plain",
                                         "asterisk_cdr_custom", "amocrm_leads", "amocrm_contacts", "bitrix24_deals",
                                         "olist_mql", "olist_closed_deals"}
    assert all(m.description for m in shipped)
