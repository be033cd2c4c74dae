"""The server deployment of deploy/: Dagster's run and event storage in a real PostgreSQL server, with
the instance configuration the services use (deploy/dagster.yaml); the upgrade step of
docs/operations.md against it; the compose file and the environment template agree."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import psycopg2
import yaml

from pipelines.publish import PUBLISHED_KEY
from pipelines.runner import run_refresh
from pipelines.settings import REPO_ROOT
from tests.postgres_server import postgres  # noqa: F401 (a fixture)
from tests.test_pipeline_runs import worked_copy

DEPLOY = REPO_ROOT / "deploy"


def test_a_run_keeps_its_history_in_postgresql(postgres, tmp_path, monkeypatch):  # noqa: F811
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    for name, value in {**postgres, "DAGSTER_HOME": str(home),
                        "SALESFUNNEL_DAGSTER_STORAGE": str(tmp_path / "storage"),
                        "SALESFUNNEL_DAGSTER_LOGS": str(tmp_path / "logs")}.items():
        monkeypatch.setenv(name, value)
    settings = worked_copy(tmp_path)
    with dg.DagsterInstance.get() as instance:
        assert instance.run_retries_enabled and not instance.run_retries_retry_on_asset_or_op_failure
        result = run_refresh(settings, instance=instance)
    assert result.success
    # Another process (the webserver after a restart, an upgraded one) finds the run and its events.
    with dg.DagsterInstance.get() as instance:
        assert instance.get_run_by_id(result.run_id).is_success
        assert instance.get_latest_materialization_event(PUBLISHED_KEY).run_id == result.run_id
    with psycopg2.connect(host=postgres["DAGSTER_PG_HOST"], port=postgres["DAGSTER_PG_PORT"],
                          dbname="dagster", user="dagster") as con, con.cursor() as cur:
        cur.execute("SELECT count(*) FROM runs")
        assert cur.fetchone() == (1,)
        cur.execute("SELECT count(*) FROM event_logs WHERE run_id = %s", [result.run_id])
        assert cur.fetchone()[0] > 100
    # The upgrade step of docs/operations.md: the schema migration runs against the live database.
    migrate = subprocess.run([str(Path(sys.executable).parent / "dagster"), "instance", "migrate"],
                             env=os.environ, capture_output=True, text=True)
    assert migrate.returncode == 0, migrate.stderr


def test_the_environment_template_names_every_setting_the_deployment_reads():
    template = {line.split("=", 1)[0] for line in (DEPLOY / "salesfunnel.env.example").read_text().splitlines()
                if line and not line.startswith("#")}
    instance = set(re.findall(r"env: (\w+)", (DEPLOY / "dagster.yaml").read_text()))
    assert instance <= template
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in ("webserver", "daemon"):
        command = compose["services"][service]["command"]
        assert command[command.index("-m") + 1] == "pipelines.definitions"
    assert set(compose["x-app"]["environment"]) <= template
    code = "\n".join(p.read_text() for p in (REPO_ROOT / "pipelines").rglob("*.py"))
    assert {n for n in template if n.startswith("SALESFUNNEL_")} <= set(re.findall(r"SALESFUNNEL_\w+", code)) | {
        "SALESFUNNEL_DAGSTER_STORAGE", "SALESFUNNEL_DAGSTER_LOGS"}  # read by dagster.yaml, not the code
