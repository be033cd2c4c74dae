"""Imports a run's later steps need, started in a thread as soon as the run knows it will build.

dbt (its builds run in the run's process, pipelines/transform/in_process.py) takes about 2.5 s to import
and Great Expectations about 3 s; imported while the first steps load files, or while the landing folder
waits out its quiet period, they are ready when their steps begin. A run that finds nothing new never
starts them: the importing thread would slow its few steps down by holding Python's GIL.
"""

import importlib
import sys
import threading

_MODULES = ("dbt.cli.main", "great_expectations")
# While importing, Python switches threads every 0.5 ms instead of 5: the steps let go of the GIL at
# every file read and query, and otherwise waited up to 5 ms to win it back from the importing thread
# each time (hashing SF10's landing folder took 8.7 s instead of 3.2 s meanwhile).
_SWITCH_INTERVAL = 0.0005
_lock = threading.Lock()
_started = False


def start() -> None:
    """Start the imports, once per process (a second call, or a second run in the process, does nothing);
    an import a step reaches before it is done waits on Python's import lock instead of starting over."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_import_all, name="warm-up", daemon=True).start()


def _import_all() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(_SWITCH_INTERVAL)
    try:
        for module in _MODULES:
            importlib.import_module(module)
    finally:
        sys.setswitchinterval(interval)
