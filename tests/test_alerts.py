"""Alerts: what is news and how mail is set up. The alerts of real runs, mailed through a real SMTP
conversation with a local sink (tests/smtp_sink.py), are tested with those runs in tests/test_operations.py:
a run failed by an ERROR check, a rejected file (alerted once, not again by the next run)."""

from __future__ import annotations

import dagster as dg
import pytest

from pipelines.alerts import MailSettings, run_problems
from pipelines.resources import WarehouseResource


def sensor_context(instance: dg.DagsterInstance, run_id: str, event_type: str, settings):
    [entry] = [e for e in instance.all_logs(run_id)
               if e.dagster_event and e.dagster_event.event_type_value == event_type]
    return dg.build_run_status_sensor_context(
        sensor_name="alert", dagster_event=entry.dagster_event, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        resources={"warehouse": WarehouseResource.from_settings(settings)})


def test_a_clean_run_raises_no_alert(worked_run):
    assert run_problems(worked_run.all_events, failed=False) == []  # WARN checks are for the UI, not e-mail


def test_mail_needs_a_recipient(monkeypatch):
    monkeypatch.setenv("SALESFUNNEL_SMTP_HOST", "mail.example.com")
    monkeypatch.delenv("SALESFUNNEL_ALERT_TO", raising=False)
    with pytest.raises(ValueError, match="SALESFUNNEL_ALERT_TO"):
        MailSettings.from_env()
    monkeypatch.delenv("SALESFUNNEL_SMTP_HOST")
    assert MailSettings.from_env() is None
