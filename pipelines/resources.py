"""The warehouse resource shared by every step: one DuckDB file (written through its working copy), one
business time zone. In a run it holds the warehouse's run lock from the first step to the last."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.loader import connect
from pipelines.ingest.mappings import MappingSet, source_locations
from pipelines.settings import DEFAULT_PHONE_REGION, ENGINES, Settings, duckdb_memory_limit
from pipelines.transform.spark_exchange import spark_env
from pipelines.warehouse_copies import prepare_working_copy, run_lock, work_path


class WarehouseResource(dg.ConfigurableResource):
    """Where files land and the mappings that read them, the DuckDB warehouse file (`path`, what readers
    open; runs write its working copy), the business time zone, the as-of date and the region of phone
    numbers without a country code."""

    landing_dir: str
    path: str
    business_tz: str
    as_of_date: str | None = None
    source_paths: list[str] = []
    phone_region: str = DEFAULT_PHONE_REGION
    landing_quiet_seconds: float = 0
    landing_retention_days: float | None = None
    engine: str = ENGINES[0]  # what builds the dbt models; the marts land in `path` either way

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(landing_dir=str(settings.landing), path=str(settings.warehouse),
                   business_tz=settings.business_tz,
                   as_of_date=settings.as_of.isoformat() if settings.as_of else None,
                   source_paths=[str(p) for p in settings.sources], phone_region=settings.phone_region,
                   landing_quiet_seconds=settings.landing_quiet_seconds,
                   landing_retention_days=settings.landing_retention_days, engine=settings.engine)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def work_path(self) -> Path:
        return work_path(Path(self.path))

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseResource]:
        """A run waits for the warehouse's run lock and holds it to its end (in-process runs set their
        resources up once); a sensor reading the landing folder takes nothing."""
        if context.run is None:
            yield self
            return
        with run_lock(Path(self.path), f"run {context.run.run_id}, process {os.getpid()}", context.log.info):
            prepare_working_copy(Path(self.path))
            yield self

    def mappings(self) -> MappingSet:
        return MappingSet.load(source_locations([Path(p) for p in self.source_paths]))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(self.work_path, self.business_tz)
        try:
            yield con
            # The writes into the file itself, so a dbt child process finds them without a WAL to replay.
            con.execute("CHECKPOINT")
        finally:
            con.close()

    def build_settings(self) -> dict[str, str | None]:
        """The settings the marts depend on (part of the build fingerprint)."""
        return {"business_tz": self.business_tz, "as_of_date": self.as_of_date, "phone_region": self.phone_region,
                "engine": self.engine}

    def dbt_env(self) -> dict[str, str]:
        """What dbt reads from the environment (profiles.yml and the vars of dbt_project.yml)."""
        env = {"SALESFUNNEL_WAREHOUSE": str(self.work_path), "SALESFUNNEL_TZ": self.business_tz,
               "SALESFUNNEL_AS_OF": self.as_of_date or "", "SALESFUNNEL_DUCKDB_MEMORY": duckdb_memory_limit()}
        if self.engine == "spark":
            return {**env, **spark_env(Path(self.path))}
        return {**env, "SALESFUNNEL_DBT_TARGET": "local"}
