"""Report texts in English and Russian; the language comes from dashboards/report.yml. The names of
processes, stages and funnel steps are not here: they are columns of the dbt seeds (label_en, label_ru),
next to the definitions they name. Values (risks, loss reasons...) without a label are shown with their
underscores as spaces."""

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
        "survey": "Industry survey", "measured": "Measured",
        "weeks": "weeks",
        "no_data": "No data for this period.",
        "footer_freshness": "Data as of {as_of}; loaded {loaded_at} UTC; report built {built_at} UTC.",
        "footer_rows": "Rows loaded: {rows}.",
        "footer_quarantine": "Rows in quarantine: {rows}.",
        "contract": "Contract", "client": "Client", "region": "Region", "tier": "Tier", "ends_on": "Ends on",
        "days_left": "Days left", "amount": "Amount",
        "wholesale": " (wholesale hand-off)",
        "month_format": "%B %Y",
        "cohort_conversion": "Cohort conversion",
        "cohort_note": "Efficiency above 100% ({processes}): results in a month can come from inputs of earlier "
                       "months. The cohort conversion is the share of this month's inputs that reached the result "
                       "within the process's window; it never exceeds 100%.",
        "pp": " pp",
        "outcomes": "Win rate and sales cycle in {period}, per team and manager",
        "win_rate": "Win rate",
        "won_lost": "{won} won / {lost} lost",
        "cycle_days": "cycle {days:.1f} d",
        "all_deals": "All",
        "bookings": "Bookings in {period}: {amounts}",
        "time_in_stage": "Time in stage: deals that entered a stage in {period} (hours)",
        "median": "Median", "p90": "90th percentile", "open_stays": "{n} still there",
        "leads": "Lead handling: leads created in {period}",
        "leads_created": "Leads created", "hours_to_assign": "Median hours to assign",
        "hours_to_contact": "Median hours to first contact", "converted": "Converted", "refused": "Refused",
        "still_open": "Still open", "conversion": "Conversion", "wholesale_handed": "Wholesale: handed over",
        "wholesale_missing": "Wholesale: not handed over",
        "dropoffs": "Deals that entered a stage in {period} and went no further",
        "at_risk": "Leads at risk of being lost at the end of {date}",
        "stuck": "Deals sitting in a stage at the end of {date}",
        "download": "Download all {n:,} as CSV",
        "more_rows": "The first {shown} of {n:,} rows; the CSV has them all.",
        "none_listed": "None.",
        "lead": "Lead", "assignee": "Assignee", "team": "Team", "risk": "Risk", "since": "Since", "age_days": "Days",
        "deal": "Deal", "stage": "Stage", "entered": "Entered", "employee": "Employee", "dropoff": "What happened",
        "loss_reason": "Loss reason", "hours": "Hours",
        "footer_rejected": "Files rejected: {files} (raw._load_ledger says why).",
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
        "survey": "Отраслевой опрос", "measured": "Факт",
        "weeks": "нед.",
        "no_data": "Нет данных за этот период.",
        "footer_freshness": "Данные на {as_of}; загружены {loaded_at} UTC; отчёт построен {built_at} UTC.",
        "footer_rows": "Загружено строк: {rows}.",
        "footer_quarantine": "Строк в карантине: {rows}.",
        "contract": "Договор", "client": "Клиент", "region": "Регион", "tier": "Уровень", "ends_on": "Окончание",
        "days_left": "Осталось дней", "amount": "Сумма",
        "wholesale": " (передано в опт)",
        "month_format": "%m.%Y",
        "cohort_conversion": "Когортная конверсия",
        "cohort_note": "Эффективность выше 100% ({processes}): результаты месяца могут приходиться на входы прошлых "
                       "месяцев. Когортная конверсия — доля входов этого месяца, дошедших до результата в окне "
                       "процесса; она не превышает 100%.",
        "pp": " п.п.",
        "outcomes": "Доля выигранных сделок и цикл сделки в {period} по командам и менеджерам",
        "win_rate": "Доля выигранных",
        "won_lost": "выиграно {won} / проиграно {lost}",
        "cycle_days": "цикл {days:.1f} дн.",
        "all_deals": "Все",
        "bookings": "Продажи по договорам в {period}: {amounts}",
        "time_in_stage": "Время на стадии: сделки, вошедшие в стадию в {period} (часы)",
        "median": "Медиана", "p90": "90-й перцентиль", "open_stays": "ещё на стадии: {n}",
        "leads": "Обработка лидов: лиды, созданные в {period}",
        "leads_created": "Создано лидов", "hours_to_assign": "Медиана часов до назначения",
        "hours_to_contact": "Медиана часов до первого контакта", "converted": "Конвертировано",
        "refused": "Отказ", "still_open": "В работе", "conversion": "Конверсия",
        "wholesale_handed": "Опт: передано", "wholesale_missing": "Опт: не передано",
        "dropoffs": "Сделки, вошедшие в стадию в {period} и не пошедшие дальше",
        "at_risk": "Лиды под угрозой потери на конец {date}",
        "stuck": "Сделки, стоящие на стадии на конец {date}",
        "download": "Скачать все {n:,} в CSV",
        "more_rows": "Показаны первые {shown} из {n:,} строк; в CSV — все.",
        "none_listed": "Нет.",
        "lead": "Лид", "assignee": "Ответственный", "team": "Команда", "risk": "Риск", "since": "С",
        "age_days": "Дней", "deal": "Сделка", "stage": "Стадия", "entered": "Вход", "employee": "Сотрудник",
        "dropoff": "Итог", "loss_reason": "Причина потери", "hours": "Часы",
        "footer_rejected": "Отклонено файлов: {files} (причины в raw._load_ledger).",
    },
}


# Values the marts hold, as the report shows them.
VALUES: dict[str, dict[str, str]] = {
    "en": {
        "unassigned": "unassigned", "never_contacted": "never contacted", "no_callback_planned": "no next call agreed",
        "callback_overdue": "callback overdue", "lost": "lost", "stuck": "stuck", "unknown": "unknown",
        "wants_wholesale": "wants wholesale", "client_refused": "client refused", "deal_impossible": "deal impossible",
        "unspecified": "not given", "none": "none",
    },
    "ru": {
        "unassigned": "не назначен", "never_contacted": "не было контакта",
        "no_callback_planned": "нет следующего звонка", "callback_overdue": "просрочен перезвон",
        "lost": "потеряна", "stuck": "стоит", "unknown": "неизвестно",
        "wants_wholesale": "хочет оптом", "client_refused": "отказ клиента", "deal_impossible": "сделка невозможна",
        "unspecified": "не указана", "none": "нет", "price_too_high": "дорого", "chose_competitor": "выбрал конкурента",
        "no_budget": "нет бюджета", "no_response": "нет ответа",
    },
}


def value_label(language: str, value) -> str:
    if not isinstance(value, str):
        return "" if value is None else str(value)
    return VALUES.get(language, {}).get(value, value.replace("_", " "))


def label(language: str, key: str, **values) -> str:
    if language not in LABELS:
        raise ValueError(f"report language must be one of {', '.join(LABELS)}, not {language!r}")
    return LABELS[language][key].format(**values)


class Names:
    """What the report calls the marts' codes in one language: processes, stages and funnel steps by the
    seeds' label columns, other values by VALUES."""

    def __init__(self, language: str, process: dict[str, str], stage: dict[str, str], step: dict[str, str]):
        self.language, self._names = language, {"process": process, "stage": stage, "step": step}

    def __call__(self, kind: str, code) -> str:
        names = self._names.get(kind, {})
        return names[code] if code in names else value_label(self.language, code)
