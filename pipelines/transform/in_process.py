"""`dbt build` inside the run's own process (dbt's programmatic dbtRunner) on the embedded DuckDB.

A `dbt` subprocess paid its start-up at every step, twice a run: the Python interpreter and dbt's
imports (about 3 s), the adapter, the parse. Here dbt is imported once per process (in a thread while
the run's first steps work, pipelines/warm_up.py), and a later step's `dbt build` costs its SQL
and well under a second of dbt. dbt reports each node through a callback; the step turns those events
into Dagster events with dagster-dbt's own conversion, as it would the JSON lines of a subprocess. A
killed run takes dbt with it (nothing outlives the process); a terminated one cancels dbt's queries
before it stops.

Spark keeps the subprocess (pipelines/transform/assets.py): a SparkSession is made once per process
with the warehouse's paths, so a second run in the same process would reuse the first one's.
"""

import atexit
import contextlib
import ctypes
import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from pipelines.transform import parse_identity
from pipelines.transform.project import KEPT_PARSE

# The events dagster-dbt turns into Dagster events (DbtCoreCliEventMessage.is_result_event).
_RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
_STOP_WAIT_SECONDS = 30
_finished = object()
# dbt threads still building. A run interrupted while Dagster handles an event the step yielded ends
# without closing the step (its generator waits to be collected), and dbt builds on; the process then
# stops them on its way out, before Python's finalisation finds a dbt worker inside a DuckDB query and
# the process aborts ("FATAL: exception not rethrown", tests/test_crash_safety.py).
_building: set[threading.Thread] = set()


def unique_target_path(context: dg.AssetExecutionContext) -> Path:
    """A target folder of this invocation's own (concurrent runs share the project), seeded with the
    project's last parse so that dbt only re-parses what changed."""
    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    target = KEPT_PARSE.parent / name
    target.mkdir(parents=True)
    if KEPT_PARSE.exists():
        shutil.copyfile(KEPT_PARSE, target / KEPT_PARSE.name)
    return target


def build(args: Sequence[str], context: dg.AssetExecutionContext, project: DbtProject, manifest: dict,
          translator: DagsterDbtTranslator, target: Path) -> Iterator:
    """Run dbt with `args` on the step's selected assets and yield their Dagster events as dbt reports
    them; raise dg.Failure when dbt fails, with dbt's error messages and where its log is."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    parse_identity.apply()
    params = get_updated_cli_invocation_params_for_context(context=context, manifest=manifest,
                                                           dagster_dbt_translator=translator)
    project_dir = Path(params.dbt_project.project_dir) if params.dbt_project else Path(project.project_dir)
    # No usage statistics sent to dbt Labs, as dagster-dbt sets for its dbt subprocess. dbt's file log at
    # its default level, debug, formats every statement and event, its two threads taking turns at the
    # file's lock: about 2.5 s of the worked example's 13 s dbt step. At info it keeps each node's outcome
    # and every error; DBT_LOG_LEVEL_FILE=debug brings the statements back.
    file_log = [] if "DBT_LOG_LEVEL_FILE" in os.environ else ["--log-level-file", "info"]
    full_args = [*args, "--no-send-anonymous-usage-stats", *file_log, *params.selection_args,
                 "--project-dir", str(project_dir), "--profiles-dir", str(project.profiles_dir),
                 "--target-path", str(target), "--log-path", str(target),
                 *(["--indirect-selection", params.indirect_selection] if params.indirect_selection else [])]
    events: queue.SimpleQueue = queue.SimpleQueue()
    outcome: dict = {}

    def report(message) -> None:  # called on dbt's threads
        if message.info.name in _RESULT_EVENTS or message.info.level == "error":
            events.put(msg_to_dict(message))

    def invoke() -> None:
        try:
            outcome["result"] = dbtRunner(callbacks=[report]).invoke(full_args)
        except KeyboardInterrupt:  # _stop's doing: the step is already on its way out
            pass
        finally:
            _close_warehouse()
            _building.discard(threading.current_thread())
            events.put(_finished)

    dbt_thread = threading.Thread(target=invoke, name="dbt", daemon=True)
    _building.add(dbt_thread)
    _stop_builds_first_at_exit()
    dbt_thread.start()
    errors: list[str] = []
    try:
        while (raw := _next(events)) is not _finished:
            if raw["info"]["level"] == "error":
                errors.append(raw["info"]["msg"])
            if raw["info"]["name"] in _RESULT_EVENTS:
                event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
                yield from event.to_default_asset_events(manifest=params.manifest,
                                                         dagster_dbt_translator=params.dagster_dbt_translator,
                                                         context=context, target_path=target,
                                                         project=params.dbt_project)
    except BaseException:  # the run was terminated (or Ctrl-C): stop dbt before the step ends
        _stop(dbt_thread)
        raise
    dbt_thread.join()
    result = outcome.get("result")
    if result is None or not result.success or errors:
        cause = f"\n\n{result.exception}" if result is not None and result.exception else ""
        listed = "".join(f"\n\n{message}" for message in errors)
        raise dg.Failure(f"`dbt {' '.join(full_args)}` failed; the dbt log is {target / 'dbt.log'}.{cause}{listed}")


def _next(events: queue.SimpleQueue):
    """The next event; waits in short slices so that a termination signal reaches this thread."""
    while True:
        try:
            return events.get(timeout=0.5)
        except queue.Empty:
            continue


def _stop(dbt_thread: threading.Thread) -> None:
    """Do to dbt's thread what Ctrl-C does to a dbt process: raise KeyboardInterrupt in it, on which dbt
    cancels its queries and stops scheduling nodes; cancel the running queries first-hand too, since the
    thread only receives the exception once it runs Python again (it waits for a node to finish)."""
    from dbt.adapters.factory import FACTORY

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(dbt_thread.ident), ctypes.py_object(KeyboardInterrupt))
    for adapter in list(FACTORY.adapters.values()):
        adapter.cancel_open_connections()
    dbt_thread.join(_STOP_WAIT_SECONDS)


def _stop_builds_first_at_exit() -> None:
    """Have `_stop_builds_left` run before dbt-duckdb's own exit handler, which closes its DuckDB (it
    registers it when dbt first loads the adapter, after this module): closed under a build still
    running, dbt's threads failed and the process aborted ("FATAL: exception not rethrown", 3 of 8 runs
    interrupted during dbt). Exit handlers run last registered first."""
    import dbt.adapters.duckdb.connections  # noqa: F401  (registers dbt-duckdb's handler, if not yet)

    atexit.unregister(_stop_builds_left)
    atexit.register(_stop_builds_left)


def _stop_builds_left() -> None:
    for dbt_thread in list(_building):
        _stop(dbt_thread)


def _close_warehouse() -> None:
    """dbt-duckdb keeps its DuckDB database open in the process after a build (its connection manager
    holds it); close it, or the run's next connection with other settings fails, and other processes
    cannot open the file while this one lives."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with contextlib.suppress(Exception):  # raises when no build opened it (a failed parse)
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()
