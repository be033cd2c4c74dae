"""Ingestion: landed CSV/Parquet files -> the warehouse's `raw` schema, one Dagster asset per table."""
