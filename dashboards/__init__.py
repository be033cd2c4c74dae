"""The management report: pure functions from mart DataFrames to Plotly figures, and one HTML page."""
