"""Alerts reach people: a run failed by an ERROR check and a run that rejected a file each write one alert
to logs/alerts.log and send one e-mail, through a real SMTP conversation with a local sink."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml

from expectations.suites import THRESHOLDS_FILE
from pipelines.alerts import MailSettings, alert_on_failed_run, alert_on_rejected_files, run_problems
from pipelines.resources import WarehouseResource
from pipelines.runner import built_nothing, run_refresh
from tests.smtp_sink import SmtpSink
from tests.test_pipeline_runs import worked_copy


@pytest.fixture
def sink(monkeypatch):
    with SmtpSink() as server:
        monkeypatch.setenv("SALESFUNNEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SALESFUNNEL_SMTP_PORT", str(server.port))
        monkeypatch.setenv("SALESFUNNEL_ALERT_TO", "sales-ops@example.com, analyst@example.com")
        monkeypatch.setenv("SALESFUNNEL_ALERT_FROM", "pipeline@example.com")
        yield server


def sensor_context(instance: dg.DagsterInstance, run_id: str, event_type: str, settings):
    [entry] = [e for e in instance.all_logs(run_id)
               if e.dagster_event and e.dagster_event.event_type_value == event_type]
    return dg.build_run_status_sensor_context(
        sensor_name="alert", dagster_event=entry.dagster_event, dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
        resources={"warehouse": WarehouseResource.from_settings(settings)})


def test_a_run_failed_by_an_error_check_is_logged_and_mailed(tmp_path, monkeypatch, sink):
    config = yaml.safe_load(THRESHOLDS_FILE.read_text())
    config["entity_identifiers"]["no_collisions"]["severity"] = "ERROR"
    (tmp_path / "strict.yml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("SALESFUNNEL_EXPECTATIONS", str(tmp_path / "strict.yml"))
    settings = worked_copy(tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_refresh(settings, instance=instance)
        assert not result.success
        with sensor_context(instance, result.run_id, "PIPELINE_FAILURE", settings) as context:
            alert_on_failed_run(context.for_run_failure())
    expected = "check failed: quality/expectation_results:entity_identifiers__no_collisions (ERROR)"
    log = (settings.warehouse.parent / "logs" / "alerts.log").read_text()
    assert f"run {result.run_id[:8]} of refresh_all failed" in log and expected in log
    [mail] = sink.messages
    assert mail["To"] == "sales-ops@example.com, analyst@example.com" and mail["From"] == "pipeline@example.com"
    assert "failed" in mail["Subject"] and expected in mail.get_payload(decode=True).decode()


def test_a_rejected_file_is_logged_and_mailed_once(tmp_path, sink):
    settings = worked_copy(tmp_path)
    (settings.landing / "calls__empty.csv").write_bytes(b"")
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_refresh(settings, instance=instance)
        assert result.success
        with sensor_context(instance, result.run_id, "PIPELINE_SUCCESS", settings) as context:
            alert_on_rejected_files(context)
        # The next run (new rows land) rejects the same unchanged file again: no second alert about it.
        (settings.landing / "calls__new.csv").write_text(
            "call_id,started_at,direction,employee_id,client_id,client_phone,disposition,duration_s,outcome\n"
            "K950,2026-05-20T10:00:00+03:00,outbound,E1,C16,+74951230016,ANSWERED,60,refused\n")
        again = run_refresh(settings, instance=instance)
        assert again.success and not built_nothing(again)
        with sensor_context(instance, again.run_id, "PIPELINE_SUCCESS", settings) as context:
            alert_on_rejected_files(context)
    [mail] = sink.messages
    assert "succeeded, with problems" in mail["Subject"]
    assert "file rejected: calls__empty.csv: empty file (0 bytes)" in mail.get_payload(decode=True).decode()


def test_a_clean_run_raises_no_alert(worked_run):
    assert run_problems(worked_run.all_events, failed=False) == []  # WARN checks are for the UI, not e-mail


def test_mail_needs_a_recipient(monkeypatch):
    monkeypatch.setenv("SALESFUNNEL_SMTP_HOST", "mail.example.com")
    monkeypatch.delenv("SALESFUNNEL_ALERT_TO", raising=False)
    with pytest.raises(ValueError, match="SALESFUNNEL_ALERT_TO"):
        MailSettings.from_env()
    monkeypatch.delenv("SALESFUNNEL_SMTP_HOST")
    assert MailSettings.from_env() is None
