"""The Great Expectations suites (expectations/) in the asset graph.

`quality/expectation_results` runs every suite on the intermediate model it validates, appends each
expectation's outcome to its table (the history of every validation) and reports one blocking asset
check per rule. The entity marts depend on it (pipelines/transform/assets.py), so a failed rule of
severity ERROR blocks them; WARN only shows. The outcome of a failing run is kept all the same.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from expectations.suites import SUITE_RULES, analysis_rules, identifier_rules, load_thresholds, quality_rules
from pipelines.quality.assets import QUALITY_GROUP
from pipelines.quality.identifiers import KNOWN_TYPES
from pipelines.resources import WarehouseResource

EXPECTATION_RESULTS_KEY = dg.AssetKey(["quality", "expectation_results"])


@dataclass(frozen=True)
class Suite:
    name: str
    asset_key: dg.AssetKey  # the model it validates
    build_rules: Callable[[dict], list]

    @property
    def table(self) -> str:
        return ".".join(self.asset_key.path)


SUITES = (
    Suite("entity_identifiers", dg.AssetKey(["intermediate", "int_identifier_checks"]),
          lambda config: identifier_rules(list(KNOWN_TYPES), config)),
    Suite("identifier_quality", dg.AssetKey(["intermediate", "int_identifier_quality"]), quality_rules),
    Suite("entity_analyses", dg.AssetKey(["intermediate", "int_entity_analyses"]), analysis_rules),
)


def check_name(suite: str, rule: str) -> str:
    return f"{suite}__{rule}"


_CREATE = """
    CREATE TABLE IF NOT EXISTS quality.expectation_results (
        validated_at TIMESTAMP, run_id VARCHAR, suite VARCHAR, validated_table VARCHAR, rule VARCHAR,
        severity VARCHAR, expectation VARCHAR, success BOOLEAN, observed_value DOUBLE, unexpected_count BIGINT,
        unexpected_rows VARCHAR)"""


def _check_result(suite: Suite, rule_outcome, docs_url: str) -> dg.AssetCheckResult:
    rule, outcomes = rule_outcome.rule, rule_outcome.outcomes
    return dg.AssetCheckResult(
        asset_key=EXPECTATION_RESULTS_KEY,
        check_name=check_name(suite.name, rule.name),
        passed=rule_outcome.success,
        severity=dg.AssetCheckSeverity.ERROR if rule.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=f"{suite.table}: {rule.description}",
        metadata={
            "unexpected_count": sum(o.unexpected_count or 0 for o in outcomes),
            "offending_rows": dg.MetadataValue.json([row for o in outcomes for row in o.unexpected_rows]),
            "data_docs": dg.MetadataValue.url(docs_url) if docs_url else "",
        },
    )


@dg.asset(
    key=EXPECTATION_RESULTS_KEY,
    deps=[s.asset_key for s in SUITES],
    check_specs=[dg.AssetCheckSpec(check_name(s.name, rule), asset=EXPECTATION_RESULTS_KEY, blocking=True,
                                   description=f"Great Expectations suite {s.name} on {s.table}, rule {rule}")
                 for s in SUITES for rule in SUITE_RULES[s.name]],
    group_name=QUALITY_GROUP,
    kinds={"great_expectations", "duckdb"},
    owners=["team:compliance-analytics"],
    description="Every run's Great Expectations outcome per expectation (suites in expectations/, thresholds "
                "in expectations/thresholds.yml), appended: the validation history; one check per rule. "
                "Data Docs beside the warehouse in gx/.",
)
def expectation_results(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    # GX costs seconds to import: only when validating
    from expectations.runner import build_docs, open_context, read_columns, run_suite

    config = load_thresholds()
    now = datetime.now(UTC).replace(tzinfo=None)
    gx_context = open_context(Path(warehouse.path).parent / "gx")
    outcomes, documents = [], []
    with warehouse.connect() as con:
        for suite in SUITES:
            rules = suite.build_rules(config)
            table = con.sql(f"SELECT {', '.join(read_columns(suite.name, rules))} FROM {suite.table}").to_arrow_table()
            suite_outcomes, suite_documents = run_suite(gx_context, suite.name, table, rules)
            outcomes += [(suite, outcome) for outcome in suite_outcomes]
            documents += suite_documents
        rows = [(now, context.run.run_id, suite.name, suite.table, outcome.rule.name, outcome.rule.severity,
                 o.expectation, o.success, o.observed_value, o.unexpected_count, json.dumps(o.unexpected_rows))
                for suite, outcome in outcomes for o in outcome.outcomes]
        con.execute("CREATE SCHEMA IF NOT EXISTS quality")
        con.execute(_CREATE)
        if rows:
            con.executemany(f"INSERT INTO quality.expectation_results VALUES ({', '.join(['?'] * 11)})", rows)
    docs_url = build_docs(gx_context, documents)
    checks = [_check_result(suite, outcome, docs_url) for suite, outcome in outcomes]
    failed = [c.check_name for c in checks if not c.passed]
    return dg.MaterializeResult(metadata={"expectations": len(rows), "failed_rules": ", ".join(failed) or "none"},
                                check_results=checks)


defs = dg.Definitions(assets=[expectation_results])
