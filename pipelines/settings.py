"""Run settings: where files land and the mappings that read them, where the warehouse lives, the business
time zone, the as-of date and the region of phone numbers without a country code.

Read from the environment (SALESFUNNEL_*) for `dagster dev` and the schedule; the command line builds
them from its flags. Relative defaults are under the repository's `data/` folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TZ = "Europe/Moscow"
DEFAULT_PHONE_REGION = "RU"
DEFAULT_LANDING_QUIET_SECONDS = 10.0  # a landed file is loaded once it has not changed for this long
DEFAULT_DUCKDB_MEMORY = "3GB"  # DuckDB spills to disk beyond it (its own default is 80% of RAM)
ENGINES = ("duckdb", "spark")  # what builds the dbt models (docs/scale-out.md); the warehouse file is DuckDB


def duckdb_memory_limit() -> str:
    """DuckDB's memory cap for ingestion and dbt alike: SALESFUNNEL_DUCKDB_MEMORY, else the default."""
    return os.environ.get("SALESFUNNEL_DUCKDB_MEMORY", DEFAULT_DUCKDB_MEMORY)


def _number_from_env(name: str, unit: str, default: float | None) -> float | None:
    """The number an environment variable holds, `default` when it is unset or empty."""
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a number of {unit}, not {value!r}") from None


def quiet_seconds_from_env() -> float:
    """How long a landed file must stay unchanged before it is loaded: SALESFUNNEL_LANDING_QUIET_SECONDS."""
    return _number_from_env("SALESFUNNEL_LANDING_QUIET_SECONDS", "seconds", DEFAULT_LANDING_QUIET_SECONDS)


def retention_days_from_env() -> float | None:
    """Days a loaded file stays in the landing folder: SALESFUNNEL_LANDING_RETENTION_DAYS (unset: forever)."""
    return _number_from_env("SALESFUNNEL_LANDING_RETENTION_DAYS", "days", None)


def engine_from_env() -> str:
    """What builds the dbt models: SALESFUNNEL_ENGINE, else DuckDB."""
    return os.environ.get("SALESFUNNEL_ENGINE") or ENGINES[0]


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    business_tz: str = DEFAULT_TZ
    as_of: date | None = None  # None: the latest event date in the data
    sources: tuple[Path, ...] = ()  # mapping files or folders, tried before the shipped sources/
    phone_region: str = DEFAULT_PHONE_REGION  # where a number without a country code is from
    landing_quiet_seconds: float = field(default_factory=quiet_seconds_from_env)
    landing_retention_days: float | None = field(default_factory=retention_days_from_env)  # None: keep
    engine: str = field(default_factory=engine_from_env)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.business_tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.business_tz!r}; use an IANA name such as Europe/Moscow") from exc
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; use one of {', '.join(ENGINES)}")
        object.__setattr__(self, "landing", Path(self.landing).resolve())
        object.__setattr__(self, "warehouse", Path(self.warehouse).resolve())
        object.__setattr__(self, "sources", tuple(Path(p).resolve() for p in self.sources))
        import phonenumbers

        if self.phone_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown phone region {self.phone_region!r}; use an ISO 3166 code such as RU")
        object.__setattr__(self, "phone_region", self.phone_region.upper())

    @classmethod
    def from_env(cls) -> Settings:
        as_of = os.environ.get("SALESFUNNEL_AS_OF") or None
        return cls(
            landing=Path(os.environ.get("SALESFUNNEL_LANDING", REPO_ROOT / "data" / "landing")),
            warehouse=Path(os.environ.get("SALESFUNNEL_WAREHOUSE", REPO_ROOT / "data" / "warehouse.duckdb")),
            business_tz=os.environ.get("SALESFUNNEL_TZ", DEFAULT_TZ),
            as_of=date.fromisoformat(as_of) if as_of else None,
            sources=tuple(Path(p) for p in os.environ.get("SALESFUNNEL_SOURCES", "").split(os.pathsep) if p),
            phone_region=os.environ.get("SALESFUNNEL_PHONE_REGION", DEFAULT_PHONE_REGION),
        )
