"""Great Expectations Core 1.x suites, written as code, one per entity input; run as Dagster checks."""
