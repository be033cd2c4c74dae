"""dbt imported in a thread as soon as a run knows it will build.

dbt's builds run in the run's process (pipelines/transform/in_process.py) and dbt takes about 2.5 s to
import; imported while the first steps load files, or while the landing folder waits out its quiet
period, it is ready when its step begins. A run that finds nothing new never starts it: the importing
thread would slow that run's few steps down by holding Python's GIL.

Only dbt: its imports are its own (the dbt adapter classes dagster-dbt needs are loaded with the
definitions). Great Expectations is not imported this way: it loads SQLAlchemy's ORM, numpy and
pydantic modules that Dagster uses in the run's own thread, and a module still half-initialised in the
importing thread failed a step ("partially initialized module 'sqlalchemy.orm.exc'", seen in CI).
"""

import importlib
import sys
import threading

_MODULE = "dbt.cli.main"
# While importing, Python switches threads every 0.5 ms instead of 5: the steps let go of the GIL at
# every file read and query, and otherwise waited up to 5 ms to win it back from the importing thread
# each time (hashing SF10's landing folder while dbt and Great Expectations were imported: 8.7 s
# instead of 3.2 s).
_SWITCH_INTERVAL = 0.0005
_lock = threading.Lock()
_started = False


def start() -> None:
    """Start the import, once per process (a second call, or a second run in the process, does nothing);
    the dbt step, if it reaches the import before it is done, waits on Python's import lock."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_import, name="warm-up", daemon=True).start()


def _import() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(_SWITCH_INTERVAL)
    try:
        importlib.import_module(_MODULE)
    finally:
        sys.setswitchinterval(interval)
