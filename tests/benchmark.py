"""Benchmark of the main job: generate demo data at a scale factor, run the whole graph on it, and
report wall time and peak memory. Speed and memory are measured here, never in timed unit tests.

    .venv/bin/python tests/benchmark.py --scale 1     (or: make bench SCALE=1)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        landing, warehouse = Path(folder) / "landing", Path(folder) / "warehouse.duckdb"
        python = [sys.executable, "-m", "pipelines"]
        generate_s = timed([*python, "generate", "--scale", str(args.scale), "--seed", str(args.seed),
                            "--out", str(landing)])
        run_s = timed([*python, "run", "--landing", str(landing), "--warehouse", str(warehouse)])
        # The largest resident set of any finished child: the run process or its dbt subprocess.
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        rerun_s = timed([*python, "run", "--landing", str(landing), "--warehouse", str(warehouse)])
        result = {"scale": args.scale, "landing_mb": round(sum(p.stat().st_size for p in landing.iterdir()) / 2**20, 1),
                  "generate_s": round(generate_s, 1), "run_s": round(run_s, 1),
                  "rerun_same_files_s": round(rerun_s, 1), "peak_rss_mb": round(peak_mb),
                  "warehouse_mb": round(warehouse.stat().st_size / 2**20, 1)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
