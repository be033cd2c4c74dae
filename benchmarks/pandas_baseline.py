"""The pandas baseline: the same month-grain process KPIs and client funnel as benchmarks/floor.sql,
written as an analyst writes them today with pandas (read the CSVs, merge, group by), following the same
rules. Its numbers are compared with the floor's and the marts' by the benchmark."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

SLICES = ("all", "team", "employee")


def _local(values: pd.Series, tz: str) -> pd.Series:
    """ISO timestamps (with or without an offset) as business-local wall time; unparseable ones NaT."""
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    return parsed.dt.tz_convert(tz).dt.tz_localize(None)


def _e164(phone):
    if not isinstance(phone, str):
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    return "+7" + digits if len(digits) == 10 else None


def _calls(landing: Path, tz: str, clients: pd.DataFrame) -> pd.DataFrame:
    legs = pd.read_csv(landing / "calls.csv", dtype=str, keep_default_na=False).drop_duplicates()
    legs["started_at"] = _local(legs.started_at, tz)
    legs["direction"] = legs.direction.str.lower()
    legs["disposition"] = legs.disposition.str.upper()
    legs["outcome"] = legs.outcome.str.lower().replace("", np.nan)
    legs["duration_s"] = pd.to_numeric(legs.duration_s, errors="coerce")
    legs = legs[legs.started_at.notna() & legs.direction.isin(["outbound", "inbound"])
                & legs.disposition.isin(["ANSWERED", "NO ANSWER", "BUSY", "FAILED"])
                & ~(legs.duration_s < 0) & ~(legs.outcome.notna() & (legs.disposition != "ANSWERED"))]
    legs = legs.replace({"employee_id": {"": np.nan}, "client_id": {"": np.nan}, "linked_id": {"": np.nan}})
    legs["call_key"] = legs.linked_id.fillna(legs.call_id)
    legs["answered"] = legs.disposition == "ANSWERED"
    first = legs.sort_values(["call_key", "started_at", "call_id"]).groupby("call_key").first()
    answering = legs.assign(no_employee=legs.employee_id.isna(), not_answered=~legs.answered).sort_values(
        ["call_key", "not_answered", "no_employee", "started_at", "call_id"]).groupby("call_key").first()
    calls = pd.DataFrame({
        "call_id": first.index, "started_at": legs.groupby("call_key").started_at.min().reindex(first.index).values,
        "direction": first.direction.values, "employee_id": answering.employee_id.reindex(first.index).values,
        "client_id": legs.groupby("call_key").client_id.max().reindex(first.index).values,
        "phone": legs.client_phone.map(_e164).groupby(legs.call_key).max().reindex(first.index).values,
        "is_answered": legs.groupby("call_key").answered.any().reindex(first.index).values,
        "outcome": answering.outcome.reindex(first.index).values})
    owners = clients.assign(phone=clients.phone.str.split(";")).explode("phone")
    owners["phone"] = owners.phone.str.strip().map(_e164)
    owners = owners.dropna(subset=["phone"]).groupby("phone").client_id.agg(["min", "nunique"])
    unique_owner = owners[owners["nunique"] == 1]["min"]
    calls["client_id"] = calls.client_id.fillna(calls.phone.map(unique_owner))
    return calls


def _events(landing: Path, tz: str, as_of: str | None) -> tuple[pd.DataFrame, pd.Timestamp]:
    clients = pd.read_csv(landing / "clients.csv", dtype=str, keep_default_na=False).drop_duplicates("client_id")
    calls = _calls(landing, tz, clients)
    stages = pd.read_csv(landing / "deal_stages.csv", dtype=str, keep_default_na=False).drop_duplicates()
    stages["entered_at"] = _local(stages.entered_at, tz)
    stages = stages.dropna(subset=["entered_at"]).replace({"employee_id": {"": np.nan}, "client_id": {"": np.nan}})
    leads = pd.read_csv(landing / "leads.csv", dtype=str, keep_default_na=False).drop_duplicates()
    leads["created_at"], leads["closed_at"] = _local(leads.created_at, tz), _local(leads.closed_at, tz)
    leads = leads.replace({"assignee_id": {"": np.nan}, "client_id": {"": np.nan}})
    contracts = pd.read_csv(landing / "contracts.csv", dtype=str, keep_default_na=False)
    legs_max = _local(pd.read_csv(landing / "calls.csv", dtype=str, usecols=["started_at"]).started_at, tz).max()
    as_of_date = pd.Timestamp(as_of) if as_of else max(
        legs_max.normalize(), stages.entered_at.max().normalize(),
        _local(contracts.signed_at, tz).max().normalize(), leads.created_at.max().normalize())
    outbound = calls[calls.direction == "outbound"]
    frames = [
        outbound.assign(subject="call", event_type="dial"),
        outbound[outbound.is_answered].assign(subject="call", event_type="contact"),
        outbound[outbound.outcome == "meeting_agreed"].assign(subject="call", event_type="meeting_agreed"),
    ]
    frames = [f.rename(columns={"call_id": "subject_id", "started_at": "ts"}) for f in frames]
    frames.append(stages.rename(columns={"deal_id": "subject_id", "entered_at": "ts", "stage": "event_type"})
                  .assign(subject="deal"))
    frames.append(leads.rename(columns={"lead_id": "subject_id", "created_at": "ts", "assignee_id": "employee_id"})
                  .assign(subject="lead", event_type="lead_created"))
    converted = leads[(leads.status == "converted") & leads.closed_at.notna()]
    frames.append(converted.rename(columns={"lead_id": "subject_id", "closed_at": "ts", "assignee_id": "employee_id"})
                  .assign(subject="lead", event_type="lead_converted"))
    columns = ["subject", "subject_id", "event_type", "client_id", "employee_id", "ts"]
    events = pd.concat([f[columns] for f in frames], ignore_index=True)
    return events[events.ts.dt.normalize() <= as_of_date], as_of_date


def process_kpis(landing: Path, seeds: Path, tz: str, as_of: str | None = None) -> pd.DataFrame:
    events, _ = _events(landing, tz, as_of)
    chain = pd.read_csv(seeds / "process_chain.csv", dtype=str, keep_default_na=False)
    roles = pd.concat([chain[["process", "subject", column]].rename(columns={column: "event_type"}).assign(role=role)
                       for role, column in (("attempt", "attempt_event"), ("input", "input_event"),
                                            ("result", "result_event"))])
    pe = roles[roles.event_type != ""].merge(events, on=["subject", "event_type"])
    pe["month"] = pe.ts.dt.to_period("M").dt.start_time
    windows = chain.set_index("process").window_days.astype(int)
    inputs, results = pe[pe.role == "input"], pe[pe.role == "result"]
    pairs = inputs.merge(results[["process", "subject_id", "ts"]], on=["process", "subject_id"], suffixes=("", "_r"))
    pairs = pairs[(pairs.ts_r >= pairs.ts)
                  & ((pairs.ts_r - pairs.ts).dt.total_seconds() / 3600 <= pairs.process.map(windows) * 24)]
    first = pairs.groupby(["process", "subject_id", "ts"]).ts_r.min().rename("result_at").reset_index()
    pe = pe.merge(first, on=["process", "subject_id", "ts"], how="left")
    pe.loc[pe.role != "input", "result_at"] = pd.NaT
    pe["hours"] = (pe.result_at - pe.ts).dt.total_seconds() / 3600
    employees = pd.read_csv(landing / "employees.csv", dtype=str, keep_default_na=False)
    team = employees.set_index("employee_id").team.replace("", np.nan)
    pe["team"] = pe.employee_id.map(team).fillna("unknown")
    out = []
    for slice_type, column in (("all", None), ("team", "team"), ("employee", "employee_id")):
        value = "all" if column is None else pe[column].fillna("unknown")
        g = pe.assign(slice_value=value).groupby(["process", "month", "slice_value"])
        frame = pd.DataFrame({
            "dials": g.role.apply(lambda r: (r == "attempt").sum()),
            "inputs": g.role.apply(lambda r: (r == "input").sum()),
            "results": g.role.apply(lambda r: (r == "result").sum()),
            "cohort_conversions": g.apply(lambda f: ((f.role == "input") & f.result_at.notna()).sum(),
                                          include_groups=False),
            "participants": g.apply(lambda f: f[f.role.isin(["input", "result"])].employee_id.nunique(),
                                    include_groups=False),
            "median_hours_to_result": g.hours.median(),
            "p90_hours_to_result": g.hours.quantile(0.9),
        }).reset_index().assign(slice_type=slice_type)
        out.append(frame)
    kpis = pd.concat(out, ignore_index=True)
    kpis["fte"] = _fte(kpis, employees, chain)
    kpis["efficiency"] = kpis.results / kpis.inputs.replace(0, np.nan)
    kpis["cohort_share"] = kpis.cohort_conversions / kpis.inputs.replace(0, np.nan)
    kpis["productivity"] = kpis.results / kpis.participants.replace(0, np.nan)
    kpis["productivity_fte"] = kpis.results / kpis.fte.replace(0, np.nan)
    with_attempts = set(chain[chain.attempt_event != ""].process)
    kpis["reach_rate"] = kpis.inputs / kpis.dials.replace(0, np.nan)
    kpis.loc[~kpis.process.isin(with_attempts), ["dials", "reach_rate"]] = np.nan
    return kpis.rename(columns={"month": "period_start"})


def _fte(kpis: pd.DataFrame, employees: pd.DataFrame, chain: pd.DataFrame) -> pd.Series:
    roster = employees.merge(chain[["process", "participant_role"]], left_on="role", right_on="participant_role")
    roster["hired_on"] = pd.to_datetime(roster.hired_on.replace("", None))
    roster["left_on"] = pd.to_datetime(roster.left_on.replace("", None))
    roster["team"] = roster.team.replace("", np.nan).fillna("unknown")
    fte = []
    for row in kpis.itertuples():
        start, end = row.month, row.month + pd.offsets.MonthBegin(1)
        members = roster[roster.process == row.process]
        if row.slice_type == "team":
            members = members[members.team == row.slice_value]
        elif row.slice_type == "employee":
            members = members[members.employee_id == row.slice_value]
        if members.empty:
            fte.append(np.nan)
            continue
        first = members.hired_on.fillna(start).clip(lower=start)
        last = members.left_on.fillna(end).clip(upper=end)
        fte.append((last - first).dt.days.clip(lower=0).sum() / (end - start).days)
    return pd.Series(fte, index=kpis.index)


def client_funnel(landing: Path, seeds: Path, tz: str, as_of: str | None = None) -> pd.DataFrame:
    events, _ = _events(landing, tz, as_of)
    events = events.dropna(subset=["client_id"])
    steps = pd.read_csv(seeds / "client_funnel_steps.csv", dtype=str)
    steps["step_order"] = steps.step_order.astype(int)
    firsts = events[events.event_type == "contact"].groupby("client_id").ts.min().rename("first_at").reset_index()
    firsts["cohort_month"] = firsts.first_at.dt.to_period("M").dt.start_time
    reached = firsts.merge(events, on="client_id").merge(steps, on="event_type")
    reached = reached[(reached.ts >= reached.first_at)
                      & ((reached.ts - reached.first_at).dt.total_seconds() / 3600 <= 90 * 24)]
    counts = reached.groupby(["cohort_month", "step"]).client_id.nunique().rename("clients")
    grid = firsts[["cohort_month"]].drop_duplicates().merge(steps[["step", "step_order"]], how="cross")
    funnel = grid.merge(counts.reset_index(), on=["cohort_month", "step"], how="left").fillna({"clients": 0})
    funnel = funnel.sort_values(["cohort_month", "step_order"])
    by_cohort = funnel.groupby("cohort_month").clients
    funnel["step_conversion"] = funnel.clients / by_cohort.shift(1).replace(0, np.nan)
    funnel["cumulative_conversion"] = funnel.clients / by_cohort.transform("first").replace(0, np.nan)
    return funnel
