"""``dop test``: unit tests of SQL tasks, run on an in-memory DuckDB with no warehouse and no Airflow.

:mod:`dop_core.config.sqltest` (what a test is, a config model), collect.py (finding and reading tests),
render.py (a task's SQL rendered as a run renders it, without Airflow), tables.py (typed rows into tables),
run.py (one test on DuckDB), diff.py (expected against produced rows), report.py (the command's report).
"""
