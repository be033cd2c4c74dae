"""A CRM and a PBX the project has never seen, read by a mapping alone: the marts built from their
exports equal those built from the same data in canonical form."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.runner import run_refresh
from pipelines.settings import Settings
from tests.conftest import WORKED_AS_OF, WORKED_EXAMPLE
from tests.test_bad_inputs import snapshot

MOSCOW = ZoneInfo("Europe/Moscow")
STAGES_RU = {"meeting_scheduled": "Встреча назначена", "meeting_held": "Встреча проведена",
             "proposal_sent": "КП отправлено", "contract_signed": "Договор подписан", "paid": "Оплачено",
             "lost": "Проиграна"}
DISPOSITIONS_RU = {"ANSWERED": "Отвечен", "NO ANSWER": "Не отвечен", "BUSY": "Занято", "FAILED": "Сбой"}

MAPPING = """
source: made_up_crm_deals
description: A CRM's stage history export with its own headers, stage names and date format
files: ["история_сделок*.csv"]
tables:
  deal_stages:
    columns:
      deal_id: Сделка №
      client_id: Клиент
      stage:
        column: Этап
        map: {Встреча назначена: meeting_scheduled, Встреча проведена: meeting_held, КП отправлено: proposal_sent,
              Договор подписан: contract_signed, Оплачено: paid, Проиграна: lost}
      entered_at: {column: Дата перехода, format: "%d.%m.%Y %H:%M"}
      employee_id: Менеджер
      loss_reason: Причина проигрыша
---
source: made_up_pbx
description: A PBX report with a title line, its own headers, dd/mm/yyyy times and h:mm:ss durations
files: ["звонки*.csv"]
lookups:
  operators: {file: операторы.csv, key: Внутренний номер, from: Внутренний номер}
tables:
  calls:
    drop:
      - {column: Тип, in: [SMS], reason: "an SMS, not a call"}
    columns:
      call_id: ID звонка
      started_at: {column: Начало, format: "%d/%m/%Y %H:%M:%S"}
      direction: {column: Тип, map: {Исходящий: outbound, Входящий: inbound}}
      employee_id: {column: [operators.Сотрудник, Внутренний номер]}
      client_id: Клиент
      client_phone: Телефон
      disposition: {column: Статус, map: {Отвечен: ANSWERED, Не отвечен: NO ANSWER, Занято: BUSY, Сбой: FAILED}}
      duration_s: {column: Длительность, format: "h:mm:ss"}
      outcome: Итог
"""


def _local(iso: str, pattern: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MOSCOW)
    return moment.astimezone(MOSCOW).strftime(pattern)


def _rows(name: str) -> list[dict]:
    with (WORKED_EXAMPLE / name).open(newline="") as fh:
        return list(csv.DictReader(fh))


def write_made_up_exports(landing: Path) -> None:
    """The worked example's calls and deal stages as two systems nobody mapped before would export them."""
    extensions = {"E1": "101", "E2": "102", "E3": "103"}
    with (landing / "история_сделок_2026.csv").open("w", encoding="cp1251", newline="") as fh:
        out = csv.writer(fh, delimiter=";")
        out.writerow(["Сделка №", "Клиент", "Этап", "Дата перехода", "Менеджер", "Причина проигрыша"])
        for r in _rows("deal_stages.csv"):
            entered = _local(r["entered_at"], "%d.%m.%Y %H:%M")
            out.writerow([r["deal_id"], r["client_id"], STAGES_RU[r["stage"]], entered, r["employee_id"],
                          r["loss_reason"]])
    with (landing / "звонки_март.csv").open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write("Отчёт АТС по звонкам, выгружен 01.06.2026\n")
        out = csv.writer(fh, delimiter=";")
        out.writerow(["ID звонка", "Начало", "Тип", "Внутренний номер", "Клиент", "Телефон", "Статус", "Длительность",
                      "Итог"])
        for r in _rows("calls.csv"):
            seconds = int(r["duration_s"])
            talk = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
            out.writerow([r["call_id"], _local(r["started_at"], "%d/%m/%Y %H:%M:%S"),
                          {"outbound": "Исходящий", "inbound": "Входящий"}[r["direction"]],
                          extensions.get(r["employee_id"], r["employee_id"]), r["client_id"], r["client_phone"],
                          DISPOSITIONS_RU[r["disposition"]], talk, r["outcome"]])
        out.writerow(["S1", "10/03/2026 10:00:00", "SMS", "101", "C01", "+74951230001", "Отвечен", "0:00:00", ""])


def test_made_up_exports_give_the_marts_of_the_canonical_files(worked_run, worked_settings, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE, landing)
    (landing / "calls.csv").unlink()
    (landing / "deal_stages.csv").unlink()
    write_made_up_exports(landing)
    sources = tmp_path / "my_sources"
    sources.mkdir()
    (sources / "made_up.yml").write_text(MAPPING, encoding="utf-8")
    # Extensions become employee ids through a lookup file kept beside the mapping.
    (sources / "операторы.csv").write_text("Внутренний номер,Сотрудник\n101,E1\n102,E2\n103,E3\n", encoding="utf-8")
    settings = Settings(landing=landing, warehouse=tmp_path / "w.duckdb", as_of=WORKED_AS_OF, sources=(sources,))
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_refresh(settings, instance=instance, log_level="ERROR")
    assert result.success
    assert snapshot(settings.warehouse) == snapshot(worked_settings.warehouse)
