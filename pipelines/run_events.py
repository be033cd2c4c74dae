"""What a run's events say: failed checks, rejected files, failed steps. The events are an in-process
result's `all_events` or a run's event log in the instance (the alerts read that)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import dagster as dg

from pipelines.ingest.assets import NO_REJECTED_FILES


def _check_evaluations(events: Iterable[dg.DagsterEvent]) -> Iterator[dg.AssetCheckEvaluation]:
    for event in events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            yield event.event_specific_data


def failed_checks(events: Iterable[dg.DagsterEvent]) -> list[str]:
    """Checks that did not pass, as `asset:check (severity)`."""
    return [f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name} ({evaluation.severity.value})"
            for evaluation in _check_evaluations(events) if not evaluation.passed]


def rejected_files(events: Iterable[dg.DagsterEvent], only_new: bool = False) -> list[tuple[str, str]]:
    """(file, reason) of every landed file the run rejected, from the ledger's check; `only_new`: those
    rejected for the first time with this content and reason."""
    return [(r["file"], r["reason"]) for evaluation in _check_evaluations(events)
            if evaluation.check_name == NO_REJECTED_FILES and "rejected" in evaluation.metadata
            for r in evaluation.metadata["rejected"].value if r.get("new", True) or not only_new]


def step_failures(events: Iterable[dg.DagsterEvent]) -> list[tuple[str, str]]:
    """(step, error message) of every step that failed."""
    return [(event.step_key, event.step_failure_data.error.message.strip())
            for event in events if event.is_step_failure and event.step_failure_data.error]
