"""Report texts in English and Russian; the language comes from dashboards/report.yml."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Sales funnel: management report",
        "as_of": "Data as of",
        "period": "Period",
        "funnel": "Client funnel: clients first contacted in {period}",
        "triad": "Processes in {period}: results, efficiency, productivity (vs {previous})",
        "results": "Results",
        "efficiency": "Efficiency",
        "productivity": "Productivity",
        "weekly_trend": "Weekly conversion (efficiency) per process",
        "employees": "{process}: results per employee in {period}, with the team average",
        "team_average": "Team average",
        "teams": "Team comparison in {period}: efficiency per process",
        "losses": "Lost deals in {period} by reason and last stage reached",
        "heatmap": "{process} conversion by region and revenue tier in {period}",
        "contracts": "Contracts ending within {days} days after {date}",
        "identifier_quality": "Identifier reliability by source",
        "identifier_trend": "Identifier reliability by source over time",
        "analysis": "New-entity analysis: mean duration by number of identifiers",
        "survey": "Survey: {weeks} weeks",
        "weeks": "weeks",
        "no_data": "No data for this period.",
        "footer_freshness": "Data as of {as_of}; loaded {loaded_at} UTC; report built {built_at} UTC.",
        "footer_rows": "Rows loaded: {rows}.",
        "footer_quarantine": "Rows in quarantine: {rows}.",
        "contract": "Contract", "client": "Client", "region": "Region", "tier": "Tier", "ends_on": "Ends on",
        "days_left": "Days left", "amount": "Amount",
        "wholesale": " (wholesale hand-off)",
        "month_format": "%B %Y",
    },
    "ru": {
        "title": "Воронка продаж: отчёт для руководства",
        "as_of": "Данные на",
        "period": "Период",
        "funnel": "Воронка клиентов: первый контакт в {period}",
        "triad": "Процессы в {period}: результат, эффективность, производительность (к {previous})",
        "results": "Результат",
        "efficiency": "Эффективность",
        "productivity": "Производительность",
        "weekly_trend": "Конверсия по неделям по процессам",
        "employees": "{process}: результат по сотрудникам в {period} и среднее по команде",
        "team_average": "Среднее по команде",
        "teams": "Сравнение команд в {period}: эффективность процессов",
        "losses": "Потерянные сделки в {period} по причинам и последней стадии",
        "heatmap": "{process}: конверсия по регионам и уровню выручки в {period}",
        "contracts": "Договоры, истекающие в течение {days} дней после {date}",
        "identifier_quality": "Надёжность идентификаторов по источникам",
        "identifier_trend": "Надёжность идентификаторов по источникам во времени",
        "analysis": "Анализ нового юрлица: средняя длительность по числу идентификаторов",
        "survey": "Опрос: {weeks} нед.",
        "weeks": "нед.",
        "no_data": "Нет данных за этот период.",
        "footer_freshness": "Данные на {as_of}; загружены {loaded_at} UTC; отчёт построен {built_at} UTC.",
        "footer_rows": "Загружено строк: {rows}.",
        "footer_quarantine": "Строк в карантине: {rows}.",
        "contract": "Договор", "client": "Клиент", "region": "Регион", "tier": "Уровень", "ends_on": "Окончание",
        "days_left": "Осталось дней", "amount": "Сумма",
        "wholesale": " (передано в опт)",
        "month_format": "%m.%Y",
    },
}


def label(language: str, key: str, **values) -> str:
    if language not in LABELS:
        raise ValueError(f"report language must be one of {', '.join(LABELS)}, not {language!r}")
    return LABELS[language][key].format(**values)
