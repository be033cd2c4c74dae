"""The garbage collector's settings for a process that runs the pipeline (pipelines/collector.py)."""

import subprocess
import sys

_PROBE = """
import gc
from pipelines import collector

before = gc.get_threshold()
collector.tune()
frozen = gc.get_freeze_count()
collector.tune()  # a second run in the same process changes nothing
print(before[:2] == gc.get_threshold()[:2], gc.get_threshold()[2], frozen > 1_000, gc.get_freeze_count() == frozen)
"""


def test_the_loaded_objects_are_frozen_and_full_collections_come_less_often_once_per_process():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "100", "True", "True"]


def test_nothing_is_collected_at_exit_once_tuned():
    # The interpreter's last collection would finalise this cycle's object (and print); frozen, it is left.
    probe = """
import gc
from pipelines import collector

class Noisy:
    def __del__(self):
        print("finalised")

collector.tune()
cycle = Noisy()
cycle.me = cycle
del cycle
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "finalised" not in out
