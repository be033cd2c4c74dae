"""Alerts: a run that failed, an ERROR check that failed or a landed file that was rejected reaches
people. Two run-status sensors (the daemon runs them after every run of the code location, whoever
started it) write one alert to `logs/alerts.log` beside the warehouse and, when SALESFUNNEL_SMTP_HOST is
set, send it by e-mail (settings below, from the environment: docs/operations.md)."""

import os
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import dagster as dg

from pipelines.resources import WarehouseResource
from pipelines.run_events import failed_checks, rejected_files, step_failures


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls) -> "MailSettings | None":
        """None when SALESFUNNEL_SMTP_HOST is not set: alerts then go to the log only."""
        host = os.environ.get("SALESFUNNEL_SMTP_HOST")
        if not host:
            return None
        recipients = tuple(a.strip() for a in os.environ.get("SALESFUNNEL_ALERT_TO", "").split(",") if a.strip())
        if not recipients:
            raise ValueError("SALESFUNNEL_SMTP_HOST is set but SALESFUNNEL_ALERT_TO names no recipient")
        return cls(host=host, port=int(os.environ.get("SALESFUNNEL_SMTP_PORT", "25")),
                   sender=os.environ.get("SALESFUNNEL_ALERT_FROM", "salesfunnel@localhost"), recipients=recipients,
                   user=os.environ.get("SALESFUNNEL_SMTP_USER") or None,
                   password=os.environ.get("SALESFUNNEL_SMTP_PASSWORD") or None,
                   starttls=os.environ.get("SALESFUNNEL_SMTP_STARTTLS", "") in ("1", "true", "yes"))


def run_problems(events: Iterable[dg.DagsterEvent], failed: bool) -> list[str]:
    """What people must hear about a run, one line each; empty when there is nothing. A file rejected
    again unchanged is not news: it was alerted about when first rejected."""
    events = list(events)
    lines = [f"step failed: {step}: {message}" for step, message in step_failures(events)]
    if failed and not lines:  # the run's process died, or Dagster stopped it: its engine events say how
        lines += [f"run stopped: {event.message}" for event in events
                  if event.event_type_value in ("ENGINE_EVENT", "PIPELINE_FAILURE") and event.message
                  and ("terminated" in event.message or "failed" in event.message)]
    lines += [f"check failed: {check}" for check in failed_checks(events) if check.endswith("(ERROR)")]
    lines += [f"file rejected: {name}: {reason}" for name, reason in rejected_files(events, only_new=True)]
    return lines


def send_alert(subject: str, lines: list[str], log: Path, mail: MailSettings | None) -> None:
    """Append the alert to `log`; send it by e-mail when mail is set up."""
    body = "\n".join(lines)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as out:
        out.write(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {subject}\n" + "".join(f"  {line}\n" for line in lines))
    if mail is None:
        return
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, mail.sender, ", ".join(mail.recipients)
    message.set_content(body + "\n")
    with smtplib.SMTP(mail.host, mail.port, timeout=30) as smtp:
        if mail.starttls:
            smtp.starttls()
        if mail.user:
            smtp.login(mail.user, mail.password or "")
        smtp.send_message(message)


def _alert(context: dg.RunStatusSensorContext, warehouse: WarehouseResource, failed: bool) -> None:
    run = context.dagster_run
    events = [entry.dagster_event for entry in context.instance.all_logs(run.run_id) if entry.dagster_event]
    lines = run_problems(events, failed)
    if not lines:
        return
    outcome = "failed" if failed else "succeeded, with problems"
    subject = f"[salesfunnel] run {run.run_id[:8]} of {run.job_name} {outcome}"
    started_by = run.tags.get("dagster/schedule_name") or run.tags.get("dagster/sensor_name") or "by hand"
    if failed and run.tags.get("dagster/will_retry") == "true":
        lines.append("Dagster starts the run again (automatic retry): a later alert says if that fails too")
    send_alert(subject, [f"run: {run.run_id} (started {started_by})", *lines],
               Path(warehouse.path).parent / "logs" / "alerts.log", MailSettings.from_env())
    context.log.info(f"alert sent: {subject}")


@dg.run_failure_sensor(name="alert_on_failed_run", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="A failed run (a failed step or ERROR check) is written to logs/alerts.log "
                                   "and e-mailed when SMTP is set up.")
def alert_on_failed_run(context: dg.RunFailureSensorContext, warehouse: WarehouseResource):
    _alert(context, warehouse, failed=True)


@dg.run_status_sensor(name="alert_on_rejected_files", run_status=dg.DagsterRunStatus.SUCCESS,
                      default_status=dg.DefaultSensorStatus.RUNNING,
                      description="A run that succeeded but rejected a landed file (or failed an ERROR check) "
                                  "is written to logs/alerts.log and e-mailed when SMTP is set up.")
def alert_on_rejected_files(context: dg.RunStatusSensorContext, warehouse: WarehouseResource):
    _alert(context, warehouse, failed=False)


defs = dg.Definitions(sensors=[alert_on_failed_run, alert_on_rejected_files])
