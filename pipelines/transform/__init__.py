"""Transformation: the dbt project in DuckDB as Dagster assets, dbt tests as asset checks."""
