"""Run a suite's rules on a pandas frame with Great Expectations Core 1.x and build its Data Docs.

GX runs on the pandas datasource: GX 1.x on DuckDB through SQLAlchemy is broken (STACK.md), and the
frames are read from DuckDB through Arrow. The GX project (suites, results, Data Docs) is written to
`gx_dir`, by default beside the warehouse.
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from expectations.suites import ROW_ID_COLUMNS, Rule

SAMPLE = 10
# With the Spark engine installed (`make spark`), GX imports pyspark on its own import, and pyspark warns
# about pandas 3 on every run's output, though GX never uses it here (the frames are pandas).
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)


@dataclass
class ExpectationOutcome:
    expectation: str
    success: bool
    observed_value: float | None
    unexpected_count: int | None
    unexpected_rows: list[dict]


@dataclass
class RuleOutcome:
    rule: Rule
    outcomes: list[ExpectationOutcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)


def _json_safe(value):
    return json.loads(json.dumps(value, default=str))


def _sample_rows(table: pa.Table, column: str | None, id_columns: list[str], positions: list) -> list[dict]:
    """The offending rows GX sampled (row positions), as their checked column and id columns."""
    columns = list(dict.fromkeys([c for c in [column, *id_columns] if c]))
    sample = pa.array(list(positions)[:SAMPLE], type=pa.int64())
    return _json_safe(table.select(columns).take(sample).to_pylist())


def checked_columns(rules: list[Rule]) -> list[str]:
    """The columns the rules' expectations read: their column and the column of their row condition."""
    columns = []
    for expectation in (e for rule in rules for e in rule.expectations):
        condition = getattr(expectation, "row_condition", None)
        columns += [expectation.column, *([condition.column.name] if hasattr(condition, "column") else [])]
    return list(dict.fromkeys(columns))


def read_columns(suite_name: str, rules: list[Rule]) -> list[str]:
    """What to read of a suite's table: the checked columns and the ids that name an offending row."""
    return list(dict.fromkeys([*checked_columns(rules), *ROW_ID_COLUMNS[suite_name]]))


def open_context(gx_dir: Path):
    """The file-based GX project in `gx_dir` (suites, results, Data Docs), made on first use."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="file", project_root_dir=str(gx_dir))
    context.variables.progress_bars = {"globally": False}
    return context


def build_docs(context, documents: list) -> str:
    """Build the Data Docs pages of `documents` (what run_suite returned) and the index, once after
    every suite ran (a checkpoint action rebuilt the index after each suite); returns the index URL.
    Only these pages: all of them would be rebuilt from every validation kept, a longer job each night."""
    context.build_data_docs(resource_identifiers=documents)
    docs = context.get_docs_sites_urls()
    return docs[0]["site_url"] if docs else ""


def run_suite(context, suite_name: str, table: pa.Table, rules: list[Rule]) -> tuple[list[RuleOutcome], list]:
    """Validate `table` against the rules; returns the outcome per rule and the Data Docs documents to
    build (the stored validation result and the suite).
    GX gets a pandas copy of the checked columns only: it hashes and filters every column it is given
    (seconds for the million identifiers at SF10); the id columns of the sampled rows come from `table`."""
    import great_expectations as gx
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    datasource = context.data_sources.add_or_update_pandas("warehouse")
    asset = next((a for a in datasource.assets if a.name == suite_name), None) \
        or datasource.add_dataframe_asset(suite_name)
    batch_definition = next((b for b in asset.batch_definitions if b.name == "current"), None) \
        or asset.add_batch_definition_whole_dataframe("current")
    suite = context.suites.add_or_update(gx.ExpectationSuite(name=suite_name))
    for rule in rules:
        for expectation in rule.expectations:
            expectation.meta = {**(expectation.meta or {}), "rule": rule.name, "severity": rule.severity}
            suite.add_expectation(expectation)
    suite.save()
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite))
    # No unexpected_index_column_names: with them GX looks up the id columns of every unexpected row,
    # one pandas lookup at a time (31 s for 200k collisions at SF10); the sample is looked up below.
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=suite_name, validation_definitions=[validation], actions=[],
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE}))
    frame = table.select(checked_columns(rules)).to_pandas()
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    [(result_id, suite_result)] = result.run_results.items()

    by_rule: dict[str, list[ExpectationOutcome]] = {rule.name: [] for rule in rules}
    for expectation_result in suite_result.results:
        config, details = expectation_result.expectation_config, expectation_result.result
        observed = details.get("observed_value")
        by_rule[config.meta["rule"]].append(ExpectationOutcome(
            expectation=config.type,
            success=bool(expectation_result.success),
            observed_value=float(observed) if isinstance(observed, int | float) else None,
            unexpected_count=details.get("unexpected_count"),
            unexpected_rows=_sample_rows(table, config.kwargs.get("column"), ROW_ID_COLUMNS[suite_name],
                                         details.get("partial_unexpected_index_list") or []),
        ))
    documents = [result_id, ExpectationSuiteIdentifier(name=suite_name)]
    return [RuleOutcome(rule, by_rule[rule.name]) for rule in rules], documents
