"""The storage of the local Dagster instance (the repository's dagster.yaml: `make run`, `make dev`, a
single machine): Dagster's SQLite storage, but every run's events in one database file (Dagster's
consolidated event log) instead of a file per run whose asset events are copied into an index file.

A run stores about 1,100 events (each dbt model and test result is three), and the per-run layout opened
a new engine and connection and committed to two files for each: the worked example's run took 1.5-2 s
longer (docs/performance.md). Runs and schedules stay where Dagster keeps them; the events of runs made
before this storage stay in their per-run files, which the UI no longer reads."""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import cached_property

import sqlalchemy as db
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.schedules import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._serdes import ConfigurableClassData
from dagster._utils import mkdir_p


class OneFileSqliteStorage(DagsterSqliteStorage):
    """`storage: sqlite` with the events of all runs in `<base_dir>/history/events/event_log.db`."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(os.path.join(base_dir, "history", ""))
        self._event_log_storage = OneFileEventLogStorage(os.path.join(base_dir, "history", "events"))
        self._schedule_storage = SqliteScheduleStorage.from_local(os.path.join(base_dir, "schedules"))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value) -> OneFileSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @classmethod
    def from_local(cls, base_dir: str, inst_data: ConfigurableClassData | None = None) -> OneFileSqliteStorage:
        mkdir_p(base_dir)
        return cls(base_dir, inst_data=inst_data)


class OneFileEventLogStorage(ConsolidatedSqliteEventLogStorage):
    """Dagster's consolidated SQLite event log, with one engine per process instead of one per statement.

    Dagster's class made an engine and a connection for each event (two for each asset event and check
    evaluation) and synced the file at each commit: 14.6 s of the worked example's 21.5 s of steps went to
    storing its 1,077 events (6.3 s of it on the CPU, the rest waiting on the GIL and the disk). The file
    is in WAL mode (Dagster sets it), where `synchronous=NORMAL` syncs at checkpoints, not at each commit:
    a crash of the process loses nothing, a power cut at most the last events, and the file stays whole.
    Each process (run, webserver, daemon) has its own engine; connections are pooled per process."""

    @cached_property
    def _engine(self) -> db.Engine:
        engine = db.create_engine(self._conn_string, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        db.event.listen(engine, "connect", _sync_at_checkpoints)
        return engine

    @contextmanager
    def _connect(self):
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def has_table(self, table_name: str) -> bool:
        """Whether the file has the table, asked on the pooled engine and remembered once it does.

        Dagster asks before storing each check evaluation and each asset event's tags, and its class
        made a new engine and connection for every question: 2.6 s of the worked example's run. Tables
        are added by `dagster instance migrate`, never dropped under a running process, so a table
        found stays found; one not found is asked about again."""
        if table_name not in self._tables_found:
            with self._engine.connect() as conn:
                if self._engine.dialect.has_table(conn, table_name):
                    self._tables_found.add(table_name)
        return table_name in self._tables_found

    @cached_property
    def _tables_found(self) -> set[str]:
        return set()

    def dispose(self) -> None:
        if "_engine" in self.__dict__:
            self._engine.dispose()
        super().dispose()


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")
