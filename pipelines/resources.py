"""The warehouse resource shared by ingestion and dbt: one DuckDB file, one business time zone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.ingest.loader import connect
from pipelines.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """Where files land, the DuckDB warehouse file, the business time zone and the as-of date."""

    landing_dir: str
    path: str
    business_tz: str
    as_of_date: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(landing_dir=str(settings.landing), path=str(settings.warehouse),
                   business_tz=settings.business_tz,
                   as_of_date=settings.as_of.isoformat() if settings.as_of else None)

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(Path(self.path), self.business_tz)
        try:
            yield con
            # Publish the writes into the file itself: a copy of the file without its WAL looks old.
            con.execute("CHECKPOINT")
        finally:
            con.close()

    def dbt_env(self) -> dict[str, str]:
        """What dbt reads from the environment (profiles.yml and the vars of dbt_project.yml)."""
        return {"SALESFUNNEL_WAREHOUSE": self.path, "SALESFUNNEL_TZ": self.business_tz,
                "SALESFUNNEL_AS_OF": self.as_of_date or ""}
