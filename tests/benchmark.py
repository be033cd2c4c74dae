"""Benchmark of the main job: generate demo data at a scale factor, run the whole graph on it, and
report wall time and peak memory; then the time from a new entity's identifier file to its verdict
(the entity-only run the sensor starts), and python-stdnum validation of N distinct identifiers.
Speed and memory are measured here, never in timed unit tests.

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

import numpy as np

from dashboards.report import ReportConfig, build_report, load_report_data, write_report
from pipelines.demo import identifiers as ids
from pipelines.quality.identifiers import validate_all


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def identifier_validation_seconds(n: int, seed: int) -> float:
    """Validate n distinct identifiers of the usual types, a twentieth of them with a typo."""
    rng = np.random.default_rng(seed)
    per_type = n // 6
    inns = ids.legal_entity_inns(rng, per_type)
    pairs = [("INN", v) for v in inns] + [("INN", v) for v in ids.person_inns(rng, per_type)]
    pairs += [("OGRN", v) for v in ids.ogrns(rng, per_type)] + [("OGRNIP", v) for v in ids.ogrnips(rng, per_type)]
    pairs += [("KPP", v) for v in ids.kpps(inns)] + [("LEI", v) for v in ids.leis(rng, n - 5 * per_type)]
    typos = rng.random(len(pairs)) < 0.05
    pairs = [(t, ids.corrupt_last_digit(rng, [v])[0] if typo else v) for (t, v), typo in zip(pairs, typos, strict=True)]
    started = time.perf_counter()
    validate_all(pairs)
    return time.perf_counter() - started


def report_build(warehouse: Path, out: Path) -> tuple[float, float]:
    """Seconds to read the marts and write the HTML report (without PNGs), and its size in MB."""
    started = time.perf_counter()
    page, drawn = build_report(load_report_data(warehouse), ReportConfig.load())
    written = write_report(page, drawn, out, "benchmark", export_png="never")
    return time.perf_counter() - started, written["report"].stat().st_size / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--identifiers", type=int, default=500_000, help="distinct identifiers to validate")
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
        # A new entity's identifiers land: the sensor's entity-only run gives its verdict.
        (landing / "entity_identifiers__new_entity.csv").write_text(
            "client_id,id_type,id_value,source,observed_at\n"
            "C000001,INN,7707083893,registry,2026-10-30\nC000001,OGRN,1027700132195,registry,2026-10-30\n"
            "C000001,KPP,773601001,crm,2026-10-29\nC000001,INN,7707083894,manual,2026-10-29\n")
        verdict_s = timed([*python, "run", "--landing", str(landing), "--warehouse", str(warehouse),
                           "--entities-only"])
        report_s, report_mb = report_build(warehouse, Path(folder) / "reports")
        result = {"scale": args.scale, "landing_mb": round(sum(p.stat().st_size for p in landing.iterdir()) / 2**20, 1),
                  "generate_s": round(generate_s, 1), "run_s": round(run_s, 1),
                  "rerun_same_files_s": round(rerun_s, 1), "new_entity_verdict_run_s": round(verdict_s, 1),
                  "peak_rss_mb": round(peak_mb), "report_build_s": round(report_s, 1),
                  "report_mb": round(report_mb, 1),
                  "warehouse_mb": round(warehouse.stat().st_size / 2**20, 1)}
    result[f"validate_{args.identifiers}_identifiers_s"] = round(identifier_validation_seconds(args.identifiers,
                                                                                              args.seed), 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
