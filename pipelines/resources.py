"""The warehouse resource shared by ingestion and dbt: one DuckDB file, one business time zone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.loader import connect
from pipelines.ingest.mappings import MappingSet, source_locations
from pipelines.settings import DEFAULT_PHONE_REGION, Settings, duckdb_memory_limit


class WarehouseResource(dg.ConfigurableResource):
    """Where files land and the mappings that read them, the DuckDB warehouse file, the business time
    zone, the as-of date and the region of phone numbers without a country code."""

    landing_dir: str
    path: str
    business_tz: str
    as_of_date: str | None = None
    source_paths: list[str] = []
    phone_region: str = DEFAULT_PHONE_REGION

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(landing_dir=str(settings.landing), path=str(settings.warehouse),
                   business_tz=settings.business_tz,
                   as_of_date=settings.as_of.isoformat() if settings.as_of else None,
                   source_paths=[str(p) for p in settings.sources], phone_region=settings.phone_region)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    def mappings(self) -> MappingSet:
        return MappingSet.load(source_locations([Path(p) for p in self.source_paths]))

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(Path(self.path), self.business_tz)
        try:
            yield con
            # Publish the writes into the file itself: a copy of the file without its WAL looks old.
            con.execute("CHECKPOINT")
        finally:
            con.close()

    def build_settings(self) -> dict[str, str | None]:
        """The settings the marts depend on (part of the build fingerprint)."""
        return {"business_tz": self.business_tz, "as_of_date": self.as_of_date, "phone_region": self.phone_region}

    def dbt_env(self) -> dict[str, str]:
        """What dbt reads from the environment (profiles.yml and the vars of dbt_project.yml)."""
        return {"SALESFUNNEL_WAREHOUSE": self.path, "SALESFUNNEL_TZ": self.business_tz,
                "SALESFUNNEL_AS_OF": self.as_of_date or "", "SALESFUNNEL_DUCKDB_MEMORY": duckdb_memory_limit()}
