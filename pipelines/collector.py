"""Python's garbage collector, set once for a process that runs the pipeline.

Such a process holds about 700k Python objects once Dagster, dbt and the definitions are loaded and dbt
has read its manifest, and with the collector's defaults every full collection walks all of them: on the
worked example 11 full collections took 2.1 s of the run, and the interpreter's last one, as the process
exits, 2.4 s more (measured with gc.callbacks and py-spy), only to free memory the ending process
returns anyway. The young generations are collected as before, so short-lived garbage goes as soon.
"""

import atexit
import gc
import threading

# A full collection after 100 collections of the middle generation instead of 10 (and, as before, only
# once the objects that survived since the last exceed a quarter of those that survived it). What it
# would have freed earlier is garbage in reference cycles that outlived two collections: rare in the
# steps, whose tables live in DuckDB, not in Python objects.
_FULL_COLLECTION_EVERY = 100
_lock = threading.Lock()
_tuned = False


def tune() -> None:
    """Once per process (the first run's first step): what is loaded now (imports, definitions) is kept
    out of every later collection, full collections come less often, and none runs at exit."""
    global _tuned
    with _lock:
        if _tuned:
            return
        _tuned = True
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _FULL_COLLECTION_EVERY)
    atexit.register(gc.freeze)
