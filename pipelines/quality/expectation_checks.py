"""The Great Expectations suites (expectations/) as blocking Dagster asset checks.

One check per rule, on the intermediate model the suite validates. A failed rule of severity ERROR
blocks the entity marts downstream; WARN only shows. Every run's outcome per expectation is kept in
`quality.expectation_results`, so reliability per source can be plotted over time.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd

from expectations.suites import ANALYSIS_RULES, IDENTIFIER_RULES, analysis_rules, identifier_rules, load_thresholds
from pipelines.quality.identifiers import KNOWN_TYPES
from pipelines.resources import WarehouseResource

IDENTIFIER_CHECKS_KEY = dg.AssetKey(["intermediate", "int_identifier_checks"])
ANALYSES_KEY = dg.AssetKey(["intermediate", "int_entity_analyses"])


def _store(con, run_id: str, suite: str, outcomes) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    con.execute("""
        CREATE TABLE IF NOT EXISTS quality.expectation_results (
            validated_at TIMESTAMP, run_id VARCHAR, suite VARCHAR, rule VARCHAR, severity VARCHAR,
            expectation VARCHAR, scope VARCHAR, success BOOLEAN, observed_value DOUBLE, unexpected_count BIGINT)""")
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [(now, run_id, suite, r.rule.name, r.rule.severity, o.expectation, o.scope, o.success, o.observed_value,
             o.unexpected_count) for r in outcomes for o in r.outcomes]
    if rows:
        con.executemany("INSERT INTO quality.expectation_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def _check_result(asset_key: dg.AssetKey, outcome, docs_url: str) -> dg.AssetCheckResult:
    scopes = "\n".join(["| scope | passed | observed | unexpected |", "|---|---|---|---|"] + [
        f"| {o.scope} | {o.success} | {o.observed_value if o.observed_value is not None else ''} | "
        f"{o.unexpected_count if o.unexpected_count is not None else ''} |" for o in outcome.outcomes])
    offending = [row for o in outcome.outcomes for row in o.unexpected_rows]
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=f"gx_{outcome.rule.name}",
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR if outcome.rule.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=outcome.rule.description,
        metadata={
            "unexpected_count": sum(o.unexpected_count or 0 for o in outcome.outcomes),
            "offending_rows": dg.MetadataValue.json(offending),
            "scopes": dg.MetadataValue.md(scopes),
            "data_docs": dg.MetadataValue.url(docs_url) if docs_url else "",
        },
    )


def _suite_check(name: str, suite: str, asset_key: dg.AssetKey, rule_names: tuple[str, ...], table: str,
                 build_rules: Callable[[pd.DataFrame, dict], list]) -> dg.AssetChecksDefinition:
    specs = [dg.AssetCheckSpec(f"gx_{rule}", asset=asset_key, blocking=True,
                               description=f"Great Expectations suite {suite}, rule {rule} (expectations/)")
             for rule in rule_names]

    @dg.multi_asset_check(specs=specs, name=name)
    def suite_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        from expectations.runner import run_suite  # GX costs seconds to import: only when a check runs

        config = load_thresholds()
        with warehouse.connect() as con:
            frame = con.sql(f"SELECT * FROM {table}").to_arrow_table().to_pandas()
            outcomes, docs_url = run_suite(suite, frame, build_rules(frame, config),
                                           Path(warehouse.path).parent / "gx")
            _store(con, context.run.run_id, suite, outcomes)
        for outcome in outcomes:
            yield _check_result(asset_key, outcome, docs_url)

    return suite_check


identifier_expectations = _suite_check(
    "identifier_expectations", "entity_identifiers", IDENTIFIER_CHECKS_KEY, IDENTIFIER_RULES,
    "intermediate.int_identifier_checks",
    lambda frame, config: identifier_rules(frame, list(KNOWN_TYPES), config))
analysis_expectations = _suite_check(
    "analysis_expectations", "entity_analyses", ANALYSES_KEY, ANALYSIS_RULES, "intermediate.int_entity_analyses",
    lambda frame, config: analysis_rules(config))

defs = dg.Definitions(asset_checks=[identifier_expectations, analysis_expectations])
