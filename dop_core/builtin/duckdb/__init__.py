"""The duckdb engine: the embedded local warehouse."""
