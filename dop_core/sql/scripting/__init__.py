"""BigQuery scripting run locally: parse a script, then interpret it statement by statement on an engine."""
