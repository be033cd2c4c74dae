"""Deterministic demo data: a Russian B2B insurance sales organisation, in the canonical tables.

Scale factor 1 is about one million calls over twelve months. Everything is drawn with numpy from
one seed, column by column (no Python loop over rows), so SF1 takes seconds. The data carries the
defects real exports have: exact duplicate rows, unparseable timestamps, unknown dispositions,
identifier typos, conflicts, collisions and stale observations.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipelines.canonical import coded_values, stage_catalog
from pipelines.demo import identifiers as ids

PERIOD_START = np.datetime64("2025-11-01T00:00:00")
PERIOD_END = np.datetime64("2026-11-01T00:00:00")  # exclusive; data ends on 2026-10-31
MSK_OFFSET = np.timedelta64(3, "h")  # Europe/Moscow has been UTC+3 all year since 2014
DAY = np.timedelta64(1, "D")
HOUR = np.timedelta64(1, "h")

CALLS_PER_SF = 1_000_000
LEADS_PER_SF = 24_000
CLIENTS_PER_SF = 120_000
CALLERS_PER_SF = 50
MANAGERS_PER_SF = 15

TEAMS = np.array(["Север", "Юг", "Центр", "Урал", "Сибирь"])
REGIONS = np.array(["Москва", "Московская область", "Санкт-Петербург", "Татарстан", "Свердловская область",
                    "Новосибирская область", "Краснодарский край", "Ростовская область", "Нижегородская область",
                    "Самарская область", "Пермский край", "Кировская область", "Калининградская область",
                    "Мурманская область", "Хабаровский край"])
REGION_WEIGHTS = np.array([22, 10, 12, 7, 6, 5, 6, 5, 5, 4, 4, 3, 4, 3, 4], dtype=float)
INDUSTRIES = np.array(["строительство", "логистика", "розничная торговля", "сельское хозяйство", "металлургия",
                       "фармацевтика", "рыболовство", "энергетика", "пищевая промышленность", "производство",
                       "текстиль", "гостиничный бизнес", "IT"])
NAME_ROOTS = np.array(["Север", "Юг", "Волга", "Урал", "Сибирь", "Балтик", "Дон", "Кама", "Ока", "Нева", "Амур",
                       "Енисей", "Вятка", "Байкал", "Алтай", "Каспий", "Ладога", "Онега", "Печора", "Кубань"])
NAME_SUFFIXES = np.array(["строй", "транс", "пром", "агро", "снаб", "энерго", "фарм", "логистик", "металл",
                          "текстиль", "торг", "сервис", "маш", "лес", "нефть", "хим", "рыба", "тех"])
FIRST_NAMES = np.array(["Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Жанна", "Иван", "Ксения", "Лев",
                        "Мария", "Никита", "Ольга", "Павел", "Раиса", "Семён", "Татьяна", "Фёдор"])
LAST_NAMES = np.array(["Иванов", "Петров", "Сидоров", "Орлов", "Кузнецов", "Смирнов", "Попов", "Лебедев",
                       "Козлов", "Новиков", "Морозов", "Волков", "Соколов", "Зайцев", "Павлов", "Семёнов"])
SERVICES = np.array(["property", "liability", "cargo", "health", "fleet", "cyber"])
EQUIPMENT = np.array(["", "", "", "fleet", "vessels", "machinery", "IT hardware"])
LOSS_REASONS = np.array(["client_refused", "price_too_high", "chose_competitor", "no_budget", "wants_wholesale",
                         "no_response"])
LOSS_WEIGHTS = np.array([30, 22, 18, 12, 8, 10], dtype=float)

# The deal chain: stage, probability of reaching it from the previous one, delay range in days.
DEAL_CHAIN = [("meeting_held", 0.75, (2, 10)), ("proposal_sent", 0.70, (1, 7)),
              ("contract_signed", 0.45, (5, 25)), ("paid", 0.85, (3, 20))]


def _choice(rng: np.random.Generator, values: np.ndarray, n: int, weights: np.ndarray | None = None):
    return rng.choice(values, n, p=None if weights is None else weights / weights.sum())


def _coded(rng: np.random.Generator, table: str, column: str, n: int, weights: dict[str, float]) -> np.ndarray:
    """Draw the permitted values of a coded column (seed coded_values) with the demo's weights; a value
    the seed gains later gets weight 0 until the demo is taught about it."""
    values = coded_values(table, column)
    unknown = set(weights) - set(values)
    if unknown:
        raise KeyError(f"demo weights for {table}.{column} name values not in coded_values.csv: {sorted(unknown)}")
    return _choice(rng, np.array(values), n, np.array([float(weights.get(v, 0)) for v in values]))


def _iso_local(ts: np.ndarray) -> np.ndarray:
    """UTC datetime64 -> ISO 8601 in Moscow time with its offset, as a CDR export writes it."""
    return np.char.add(np.datetime_as_string(ts + MSK_OFFSET, unit="s"), "+03:00")


def _iso_utc(ts: np.ndarray) -> np.ndarray:
    """UTC datetime64 -> ISO 8601 with Z, as a CRM API writes it."""
    return np.char.add(np.datetime_as_string(ts, unit="s"), "Z")


def _dates(ts: np.ndarray) -> np.ndarray:
    return np.datetime_as_string((ts + MSK_OFFSET).astype("datetime64[D]"))


def _working_hours(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A UTC time on each given (Moscow) day between 09:00 and 19:00 Moscow time."""
    seconds = rng.integers(9 * 3600, 19 * 3600, len(days))
    return days.astype("datetime64[s]") + seconds.astype("timedelta64[s]") - MSK_OFFSET


def _employees(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    n_callers = max(3, round(CALLERS_PER_SF * scale))
    n_managers = max(2, round(MANAGERS_PER_SF * scale))
    n = n_callers + n_managers
    role = np.array(["caller"] * n_callers + ["account_manager"] * n_managers)
    hired = PERIOD_START.astype("datetime64[D]") - rng.integers(30, 1500, n) * DAY
    # A fifth are hired during the period and a tenth leave during it: FTE differs from headcount.
    late_hire = rng.random(n) < 0.2
    hired[late_hire] = PERIOD_START.astype("datetime64[D]") + rng.integers(0, 300, late_hire.sum()) * DAY
    leaves = rng.random(n) < 0.1
    left = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    left[leaves] = hired[leaves] + rng.integers(60, 400, leaves.sum()) * DAY
    left[left >= PERIOD_END.astype("datetime64[D]")] = np.datetime64("NaT")
    prefix = np.where(role == "caller", "E", "M")
    return pd.DataFrame({
        "employee_id": np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), 4)),
        "full_name": np.char.add(np.char.add(_choice(rng, FIRST_NAMES, n), " "), _choice(rng, LAST_NAMES, n)),
        "team": _choice(rng, TEAMS, n),
        "role": role,
        "hired_on": np.datetime_as_string(hired),
        "left_on": pd.Series(np.datetime_as_string(left)).replace("NaT", ""),
    })


def _mobile_digits(client_idx: np.ndarray) -> np.ndarray:
    """The ten digits after +7 of each client's mobile number (unique per client at any scale here)."""
    return np.char.zfill((9_000_000_000 + client_idx * 7919 % 999_999_999).astype(str), 10)


def _written_as_people_do(rng: np.random.Generator, digits: np.ndarray) -> np.ndarray:
    """A Russian number the way a CRM holds it: `8 (900) 123-45-67`, `+7 900 123 45 67` or `89001234567`."""
    d = pd.Series(digits)
    code, first, second, third = d.str[0:3], d.str[3:6], d.str[6:8], d.str[8:10]
    bracketed = "8 (" + code + ") " + first + "-" + second + "-" + third
    spaced = "+7 " + code + " " + first + " " + second + " " + third
    style = rng.integers(0, 3, len(digits))
    return np.where(style == 0, bracketed, np.where(style == 1, spaced, "8" + d)).astype(str)


def _clients(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    n = max(50, round(CLIENTS_PER_SF * scale))
    client_type = _coded(rng, "clients", "client_type", n,
                         {"legal_entity": 75, "sole_proprietor": 20, "individual": 5})
    legal_form = _choice(rng, np.array(["ООО", "АО", "ПАО"]), n, np.array([85, 12, 3.0]))
    brand = np.char.add(_choice(rng, NAME_ROOTS, n), _choice(rng, NAME_SUFFIXES, n))
    person = np.char.add(np.char.add(_choice(rng, LAST_NAMES, n), " "), _choice(rng, FIRST_NAMES, n))
    name = np.where(client_type == "legal_entity", np.char.add(np.char.add(legal_form, " «"), brand),
                    np.where(client_type == "sole_proprietor", np.char.add("ИП ", person), person))
    name = np.where(client_type == "legal_entity", np.char.add(name, "»"), name)
    service_mask = rng.random((n, len(SERVICES))) < np.array([0.5, 0.3, 0.15, 0.2, 0.15, 0.05])
    services = np.full(n, "", dtype=object)
    for j, service in enumerate(SERVICES):  # six columns, not n rows
        services = np.where(service_mask[:, j], services + service + ";", services)
    services = pd.Series(services).str.rstrip(";")
    created = PERIOD_START - rng.integers(0, 720, n) * DAY
    return pd.DataFrame({
        "client_id": np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
        "name": name,
        "client_type": client_type,
        "region": _choice(rng, REGIONS, n, REGION_WEIGHTS),
        "industry": _choice(rng, INDUSTRIES, n),
        "services": services.to_numpy(),
        "equipment": _choice(rng, EQUIPMENT, n),
        "revenue_tier": _choice(rng, np.array(["A", "B", "C", "D"]), n, np.array([10, 25, 40, 25.0])),
        "created_at": _dates(created),
        "phone": _client_phones(rng, n),
    })


def _client_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Most clients have their mobile number in the CRM, written in one of the usual ways; some a second,
    city number too; a few none."""
    mobile = _written_as_people_do(rng, _mobile_digits(np.arange(n)))
    city = np.char.add("+7 495 ", np.char.zfill(rng.integers(0, 9_999_999, n).astype(str), 7))
    two = rng.random(n) < 0.05
    phones = np.where(two, np.char.add(np.char.add(mobile, "; "), city), mobile)
    return np.where(rng.random(n) < 0.03, "", phones)


def _next_working_time(rng: np.random.Generator, earliest: np.ndarray, not_before: np.ndarray) -> np.ndarray:
    """A working-hours time on the working day of `earliest` (or the next one), never before `not_before`:
    account managers move deals in office hours, and a stage never precedes the one before it."""
    day = np.busday_offset((earliest + MSK_OFFSET).astype("datetime64[D]"), 0, roll="forward")
    return np.maximum(_working_hours(rng, day), not_before + HOUR)


def _employment_windows(employees: pd.DataFrame, role: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index, first and last+1 day in the period of each employee of `role` employed in it."""
    sel = employees[employees.role == role]
    start = np.maximum(sel.hired_on.to_numpy().astype("datetime64[D]"), PERIOD_START.astype("datetime64[D]"))
    left = pd.to_datetime(sel.left_on.replace("", None)).to_numpy().astype("datetime64[D]")
    end = np.where(np.isnat(left), PERIOD_END.astype("datetime64[D]"),
                   np.minimum(left, PERIOD_END.astype("datetime64[D]")))
    keep = end > start
    return sel.index.to_numpy()[keep], start[keep], end[keep]


def _working_days_within(rng: np.random.Generator, who: np.ndarray, start: np.ndarray, end: np.ndarray,
                         n: int) -> tuple[np.ndarray, np.ndarray]:
    """n (employee, working day) pairs: employees drawn in proportion to their days employed."""
    span = (end - start).astype(int)
    pick = rng.choice(len(who), n, p=span / span.sum())
    day = start[pick] + (rng.random(n) * span[pick]).astype(int) * DAY
    next_working = np.busday_offset(day, 0, roll="forward")
    return who[pick], np.where(next_working < end[pick], next_working, np.busday_offset(day, 0, roll="backward"))


def _calls(rng: np.random.Generator, scale: float, employees: pd.DataFrame, clients: pd.DataFrame):
    n = max(200, round(CALLS_PER_SF * scale))
    callers, caller_start, caller_end = _employment_windows(employees, "caller")
    who, day = _working_days_within(rng, callers, caller_start, caller_end, n)
    started = _working_hours(rng, day)
    in_time_order = np.argsort(started, kind="stable")  # as a CDR export is
    who, started = who[in_time_order], started[in_time_order]
    inbound = rng.random(n) < 0.1
    disposition = _coded(rng, "calls", "disposition", n, {"ANSWERED": 45, "NO ANSWER": 35, "BUSY": 12, "FAILED": 8})
    answered = disposition == "ANSWERED"
    outcome = np.where(answered, _coded(rng, "calls", "outcome", n,
                                        {"meeting_agreed": 8, "callback": 30, "refused": 35, "no_decision": 27}), "")
    # Callers work through a client list: a client is called several times over the year.
    client_idx = rng.integers(0, len(clients), n)
    client_ids = clients.client_id.to_numpy()[client_idx]
    phones = np.char.add("+7", _mobile_digits(client_idx))
    # Some PBX exports carry the number but no client id: the pipeline links those by phone; a few numbers
    # are of nobody in the CRM.
    no_id = rng.random(n) < 0.04
    strangers = rng.random(n) < 0.005
    phones = np.where(strangers, np.char.add("+7 812 ", np.char.zfill(rng.integers(0, 9_999_999, n).astype(str), 7)),
                      phones)
    client_ids = np.where(no_id | strangers, "", client_ids)
    calls = pd.DataFrame({
        "call_id": np.char.add("K", np.char.zfill(np.arange(1, n + 1).astype(str), 8)),
        "started_at": _iso_local(started),
        "direction": np.where(inbound, "inbound", "outbound"),
        "employee_id": employees.employee_id.to_numpy()[who],
        "client_id": client_ids,
        "client_phone": phones,
        "disposition": disposition,
        "duration_s": np.where(answered, rng.gamma(2.0, 90.0, n).astype(int) + 5, 0),
        "outcome": outcome,
        "linked_id": "",
    })
    calls, legs = _ring_group_legs(rng, calls, employees)
    calls = pd.concat([calls, _callbacks(rng, calls), legs], ignore_index=True).sort_values("started_at",
                                                                                           kind="stable")
    agreed = (~inbound) & (outcome == "meeting_agreed")
    return calls, started[agreed], np.where(client_ids == "", clients.client_id.to_numpy()[client_idx],
                                             client_ids)[agreed]


def _callbacks(rng: np.random.Generator, calls: pd.DataFrame) -> pd.DataFrame:
    """Most missed inbound calls are called back the same or the next working day; some never are."""
    missed = calls[(calls.direction == "inbound") & (calls.disposition != "ANSWERED")]
    back = missed[rng.random(len(missed)) < 0.6]
    when = pd.to_datetime(back.started_at.str[:19]).to_numpy().astype("datetime64[s]") - MSK_OFFSET
    later = _next_working_time(rng, when + rng.integers(1, 30, len(back)) * HOUR, when)
    n = len(back)
    answered = rng.random(n) < 0.7
    return pd.DataFrame({
        "call_id": np.char.add("KB", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "started_at": _iso_local(later),
        "direction": "outbound",
        "employee_id": back.employee_id.to_numpy(),
        "client_id": back.client_id.to_numpy(),
        "client_phone": back.client_phone.to_numpy(),
        "disposition": np.where(answered, "ANSWERED", "NO ANSWER"),
        "duration_s": np.where(answered, rng.gamma(2.0, 60.0, n).astype(int) + 5, 0),
        "outcome": np.where(answered, _choice(rng, np.array(["callback", "refused", "no_decision"]), n), ""),
        "linked_id": "",
    })


def _ring_group_legs(rng: np.random.Generator, calls: pd.DataFrame,
                     employees: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An inbound call rings a group: a third ring a second phone too, which the CDR writes as a second
    leg (NO ANSWER) with the same linkedid. Returns the calls with their linkedid and the extra legs."""
    grouped = (calls.direction == "inbound").to_numpy() & (rng.random(len(calls)) < 0.33)
    calls = calls.assign(linked_id=np.where(grouped, calls.call_id, ""))
    first = calls[grouped]
    callers = employees[employees.role == "caller"].employee_id.to_numpy()
    legs = first.assign(call_id=first.call_id + "-2", employee_id=callers[rng.integers(0, len(callers), len(first))],
                        disposition="NO ANSWER", duration_s=0, outcome="")
    return calls, legs


def _deal_stages(rng: np.random.Generator, employees: pd.DataFrame, agreed_at: np.ndarray,
                 agreed_clients: np.ndarray) -> pd.DataFrame:
    """One deal per agreed meeting (90%), moving along the chain with delays; drop-outs are lost."""
    keep = rng.random(len(agreed_at)) < 0.9
    at, clients = agreed_at[keep], agreed_clients[keep]
    n = len(at)
    lost_stage = next(s.stage for s in stage_catalog() if s.is_lost)
    managers, _, _ = _employment_windows(employees, "account_manager")
    manager = employees.employee_id.to_numpy()[managers[rng.integers(0, len(managers), n)]]
    deal_ids = np.char.add("D", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    frames = []
    current = _next_working_time(rng, at + rng.integers(2, 72, n) * HOUR, at)
    alive = np.ones(n, dtype=bool)
    frames.append((deal_ids, clients, "meeting_scheduled", current, manager, alive.copy()))
    for stage, probability, (low, high) in DEAL_CHAIN:
        advance = alive & (rng.random(n) < probability)
        nxt = _next_working_time(rng, current + rng.integers(low * 24, high * 24 + 1, n) * HOUR, current)
        # Losses are recorded for about two thirds of the deals that stop here.
        lost = alive & ~advance & (rng.random(n) < 0.65) & (stage != "paid")
        lost_at = _next_working_time(rng, current + rng.integers(24, 20 * 24, n) * HOUR, current)
        frames.append((deal_ids, clients, lost_stage, lost_at, manager, lost))
        frames.append((deal_ids, clients, stage, nxt, manager, advance))
        alive, current = advance, nxt
    rows = [pd.DataFrame({"deal_id": d[m], "client_id": c[m], "stage": s, "_at": t[m], "employee_id": e[m]})
            for d, c, s, t, e, m in frames]
    stages = pd.concat(rows, ignore_index=True)
    stages = stages[stages._at < PERIOD_END].sort_values(["_at", "deal_id"], kind="stable")
    lost = stages.stage.to_numpy() == lost_stage
    stages["loss_reason"] = np.where(lost, _choice(rng, LOSS_REASONS, len(stages), LOSS_WEIGHTS), "")
    stages["entered_at"] = _iso_utc(stages._at.to_numpy().astype("datetime64[s]"))
    return stages[["deal_id", "client_id", "stage", "entered_at", "employee_id", "loss_reason", "_at"]]


def _contracts(rng: np.random.Generator, stages: pd.DataFrame, clients: pd.DataFrame) -> pd.DataFrame:
    signed = stages[stages.stage == "contract_signed"]
    n = len(signed)
    signed_at = signed._at.to_numpy().astype("datetime64[s]")
    starts = (signed_at + MSK_OFFSET).astype("datetime64[D]") + rng.integers(1, 16, n) * DAY
    term_months = _choice(rng, np.array([3, 6, 12, 12, 12, 24]), n)
    ends = (starts.astype("datetime64[M]") + term_months).astype("datetime64[D]") - DAY
    # Contracts signed before the CRM: no deal, ending during the period (the renewal work list).
    n_old = max(5, len(clients) // 40)
    old_starts = PERIOD_START.astype("datetime64[D]") - rng.integers(30, 365, n_old) * DAY
    old_ends = old_starts + 365 * DAY
    all_signed = np.concatenate([signed_at, old_starts.astype("datetime64[s]") - 5 * DAY])
    return pd.DataFrame({
        "contract_id": np.char.add("CT", np.char.zfill(np.arange(1, n + n_old + 1).astype(str), 7)),
        "client_id": np.concatenate([signed.client_id.to_numpy(),
                                     clients.client_id.to_numpy()[rng.integers(0, len(clients), n_old)]]),
        "deal_id": np.concatenate([signed.deal_id.to_numpy(), np.full(n_old, "")]),
        "signed_at": _dates(all_signed),
        "starts_on": np.datetime_as_string(np.concatenate([starts, old_starts])),
        "ends_on": np.datetime_as_string(np.concatenate([ends, old_ends])),
        "amount": np.round(rng.lognormal(13.0, 0.9, n + n_old), -2),
        "currency": "RUB",
    })


def _identifiers(rng: np.random.Generator, clients: pd.DataFrame, deal_clients: np.ndarray) -> pd.DataFrame:
    """Identifiers of the organisations and sole proprietors that entered the deal pipeline, as several
    systems report them: mostly right, with typos, conflicting values, shared values and stale rows."""
    subjects = clients[clients.client_id.isin(deal_clients) & (clients.client_type != "individual")]
    legal = subjects.client_type.to_numpy() == "legal_entity"
    n = len(subjects)
    cid = subjects.client_id.to_numpy()
    inn = np.where(legal, ids.legal_entity_inns(rng, n), ids.person_inns(rng, n))
    reg = np.where(legal, ids.ogrns(rng, n), ids.ogrnips(rng, n))
    parts = [
        (cid, "INN", inn, "crm"), (cid, "INN", inn, "registry"),
        (cid, np.where(legal, "OGRN", "OGRNIP"), reg, "registry"),
        (cid[legal], "KPP", ids.kpps(inn[legal]), "crm"),
    ]
    has_lei = legal & (rng.random(n) < 0.3)
    parts.append((cid[has_lei], "LEI", ids.leis(rng, int(has_lei.sum())), "bank"))
    manual = rng.random(n) < 0.15  # hand-typed copies, with typos
    typo = rng.random(int(manual.sum())) < 0.4
    manual_inn = inn[manual].copy()
    manual_inn[typo] = ids.corrupt_last_digit(rng, manual_inn[typo])
    parts.append((cid[manual], "INN", manual_inn, "manual"))
    kpp_on_ip = ~legal & (rng.random(n) < 0.05)  # a consistency defect: KPP on a sole proprietor
    parts.append((cid[kpp_on_ip], "KPP", ids.kpps(inn[kpp_on_ip]), "manual"))
    shared = rng.random(n) < 0.005  # collisions: another entity's INN attached by mistake
    parts.append((cid[shared], "INN", inn[rng.integers(0, n, int(shared.sum()))], "crm"))
    frame = pd.concat([pd.DataFrame({"client_id": c, "id_type": t, "id_value": v, "source": s})
                       for c, t, v, s in parts], ignore_index=True)
    observed = PERIOD_END - rng.integers(1, 300, len(frame)) * DAY
    stale = rng.random(len(frame)) < 0.05
    observed[stale] = PERIOD_START - rng.integers(370, 900, int(stale.sum())) * DAY
    frame["observed_at"] = _dates(observed)
    return frame.sort_values(["client_id", "id_type", "source"], kind="stable")


def _analyses(rng: np.random.Generator, stages: pd.DataFrame, identifiers: pd.DataFrame) -> pd.DataFrame:
    """A new-entity analysis for every client that got a proposal; the duration follows the survey:
    about 6 weeks, 7 when more than four identifiers are involved."""
    proposals = stages[stages.stage == "proposal_sent"].drop_duplicates("client_id")
    counts = identifiers.drop_duplicates(["client_id", "id_type", "id_value"]).groupby("client_id").size()
    n_ids = counts.reindex(proposals.client_id).fillna(0).to_numpy()
    n = len(proposals)
    requested = proposals._at.to_numpy().astype("datetime64[s]")
    mean_days = np.where(n_ids > 4, 49.0, 42.0)
    duration = np.maximum(rng.gamma(16.0, mean_days / 16.0), 3).round().astype(int)
    completed = requested + duration * DAY
    is_open = completed >= PERIOD_END
    return pd.DataFrame({
        "analysis_id": np.char.add("A", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "client_id": proposals.client_id.to_numpy(),
        "requested_at": _dates(requested),
        "completed_at": np.where(is_open, "", _dates(completed)),
        "analyst_id": _choice(rng, np.array(["R1", "R2", "R3", "R4", "R5"]), n),
        "decision": np.where(is_open, "pending", _choice(rng, np.array(["approved", "approved", "approved",
                                                                         "rejected"]), n)),
    })


def _with_defects(rng: np.random.Generator, calls: pd.DataFrame) -> pd.DataFrame:
    """What a real CDR export carries: 0.1% exact duplicates, and a few rows with a broken timestamp
    or a disposition the canonical model does not know."""
    n = len(calls)
    broken = calls.iloc[rng.choice(n, max(1, n // 5000), replace=False)].copy()
    half = len(broken) // 2
    broken.iloc[:half, broken.columns.get_loc("started_at")] = "31.02.2026 25:61"
    broken.iloc[half:, broken.columns.get_loc("disposition")] = "CONGESTION"
    broken["call_id"] = np.char.add("KX", np.arange(len(broken)).astype(str))
    duplicates = calls.iloc[rng.choice(n, max(1, n // 1000), replace=False)]
    return pd.concat([calls, duplicates, broken], ignore_index=True)


REFUSALS = np.array(["deal_impossible", "wants_wholesale", "no_budget"])
IMPOSSIBLE_NOTES = np.array(["нет лицензии в регионе", "объект не страхуется", "клиент в санкционном списке",
                             "сумма ниже минимальной премии"])


def _lag(rng: np.random.Generator, n: int, median_hours: float, spread: float = 1.2) -> np.ndarray:
    """Delays in seconds, log-normal: most are short, a few are days."""
    return (rng.lognormal(np.log(median_hours * 3600), spread, n)).astype("int64").astype("timedelta64[s]")


def _leads(rng: np.random.Generator, scale: float, employees: pd.DataFrame,
           clients: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Leads from the site, the phone and partners, handled as docs/metrics.md section 8 describes, with the
    lapses real teams have: leads nobody is assigned to, assigned ones never called, open ones without a
    next call, callbacks that are late, wholesale refusals not handed over."""
    n = max(40, round(LEADS_PER_SF * scale))
    created = PERIOD_START + (rng.random(n) * (PERIOD_END - PERIOD_START).astype(int)).astype("timedelta64[s]")
    managers, _, _ = _employment_windows(employees, "account_manager")
    assignee = employees.employee_id.to_numpy()[managers[rng.integers(0, len(managers), n)]]
    assigned = created + _lag(rng, n, 1.0)
    is_assigned = (rng.random(n) < 0.92) & (assigned < PERIOD_END)
    contacted = assigned + _lag(rng, n, 3.0)
    is_contacted = is_assigned & (rng.random(n) < 0.88) & (contacted < PERIOD_END)
    # Up to three agreed next calls, each set at the call before; the last one made closes the lead
    # unless it stays open. A fifth of the open ones got no next call at all; some last calls are late.
    fate = _coded(rng, "leads", "status", n, {"converted": 18, "refused": 35, "open": 47})
    wanted = np.where(fate == "open", rng.integers(0, 4, n), rng.integers(1, 4, n))
    wanted[(fate == "open") & (rng.random(n) < 0.2)] = 0
    rounds, set_at, last_done = [], contacted.copy(), np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    for k in range(3):
        live = is_contacted & (wanted > k) & ~np.isnat(set_at) & (set_at < PERIOD_END)
        planned = set_at + rng.integers(1, 6, n) * DAY
        done = planned + rng.integers(0, 4 * 3600, n).astype("timedelta64[s]")
        forgotten = (wanted == k + 1) & (fate == "open") & (rng.random(n) < 0.4)
        made = live & (done < PERIOD_END) & ~forgotten
        rounds.append((live, set_at.copy(), planned, np.where(made, done, np.datetime64("NaT")), made))
        last_done = np.where(made, done, last_done)
        set_at = np.where(made, done, np.datetime64("NaT"))
    closes = is_contacted & (fate != "open") & ~np.isnat(last_done)
    status = np.where(closes, fate, "open")
    reason = np.where(status == "refused", _choice(rng, REFUSALS, n, np.array([50, 30, 20.0])), "")
    handed_at = last_done + _lag(rng, n, 2.0, 0.8)
    handed = (reason == "wants_wholesale") & (rng.random(n) < 0.7) & (handed_at < PERIOD_END)
    lead_ids = np.char.add("L", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    has_client = rng.random(n) < 0.4
    leads = pd.DataFrame({
        "lead_id": lead_ids,
        "created_at": _iso_local(created),
        "source": _choice(rng, np.array(["web", "phone", "partner"]), n, np.array([50, 30, 20.0])),
        "client_id": np.where(has_client, clients.client_id.to_numpy()[rng.integers(0, len(clients), n)], ""),
        "assigned_at": np.where(is_assigned, _iso_local(assigned), ""),
        "assignee_id": np.where(is_assigned, assignee, ""),
        "first_contact_at": np.where(is_contacted, _iso_local(contacted), ""),
        "status": status,
        "closed_at": np.where(closes, _iso_local(last_done), ""),
        "refusal_reason": reason,
        "refusal_note": np.where(reason == "deal_impossible", _choice(rng, IMPOSSIBLE_NOTES, n), ""),
        "handed_to_wholesale_at": np.where(handed, _iso_local(handed_at), ""),
    })
    callbacks = pd.concat([pd.DataFrame({
        "lead_id": lead_ids[live],
        "set_at": _iso_local(set_at[live]),
        "planned_at": _iso_local(planned[live]),
        "done_at": np.where(made[live], _iso_local(done[live]), ""),
        "employee_id": assignee[live],
        "result": np.where(made & (done == last_done) & closes, status, np.where(made, "undecided", ""))[live],
    }) for live, set_at, planned, done, made in rounds], ignore_index=True)
    return leads, callbacks.sort_values(["lead_id", "set_at"], kind="stable")


def generate(scale: float = 1.0, seed: int = 42) -> dict[str, pd.DataFrame]:
    """The canonical tables as frames of text, as files would hold them."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    rng = np.random.default_rng(seed)
    employees = _employees(rng, scale)
    clients = _clients(rng, scale)
    calls, agreed_at, agreed_clients = _calls(rng, scale, employees, clients)
    stages = _deal_stages(rng, employees, agreed_at, agreed_clients)
    contracts = _contracts(rng, stages, clients)
    identifiers = _identifiers(rng, clients, stages.client_id.unique())
    analyses = _analyses(rng, stages, identifiers)
    leads, callbacks = _leads(rng, scale, employees, clients)  # drawn last: the other tables stay as they were
    return {
        "employees": employees,
        "clients": clients,
        "calls": _with_defects(rng, calls),
        "deal_stages": stages.drop(columns="_at"),
        "contracts": contracts,
        "entity_identifiers": identifiers,
        "entity_analyses": analyses,
        "leads": leads,
        "lead_callbacks": callbacks,
    }


def write_demo_data(out: Path, scale: float = 1.0, seed: int = 42, fmt: str = "csv") -> dict[str, int]:
    """Write the canonical tables as `<table>.csv` (or .parquet) into `out`; returns rows per table."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tables = generate(scale, seed)
    with duckdb.connect() as con:
        for name, frame in tables.items():
            con.register("frame", frame.replace("", None))  # an empty field, not a quoted ""
            target = out / f"{name}.{fmt}"
            options = "(FORMAT parquet)" if fmt == "parquet" else "(FORMAT csv, HEADER)"
            con.execute(f"COPY (SELECT * FROM frame) TO '{target}' {options}")
            con.unregister("frame")
    return {name: len(frame) for name, frame in tables.items()}
