"""Data quality: identifier validation (python-stdnum) and the Great Expectations checks."""
