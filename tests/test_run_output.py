"""What `dop run` shows of a failed task's log: what the task said and its error, never a traceback."""

from __future__ import annotations

from dop_core.cli.run import _readable

LOG = """\
2024-06-01T04:00:00.000000Z [info     ] ::group::Pre Execute           [task] loc=task_runner.py:1
2024-06-01T04:00:00.100000Z [info     ] assertion checks: 0 passed, 1 failed [dop_core.contract.sql_task]
2024-06-01T04:00:00.200000Z [error    ] Task failed with exception     [task] loc=task_runner.py:1676
Traceback (most recent call last):
  File "/venv/dop_core/operators/sql.py", line 96, in execute
    with connect(self.target) as engine:
         ^^^^^^^^^^^^^^^^^^^^
_duckdb.IOException: IO Error: Could not read from file "/p": Is a directory

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/venv/airflow/sdk/execution_time/task_runner.py", line 1579, in _run_task_and_map_outcome
    result = _execute_task(context=context, ti=ti, log=log)
  File "/venv/dop_core/operators/sql.py", line 105, in execute
    raise self._failure(exc) from exc
dop_core.errors.ConfigError: /p/orchestration/d/sql/t.sql:2:6: error: undefined name in the template: 'nope' is undefined
    expected: a name the template context has

2024-06-01T04:00:00.300000Z [info     ] ::endgroup::                   [task] loc=task_runner.py:2379
2024-06-01T04:00:00.400000Z [info     ] run finished                   [task]
"""


def test_a_failed_task_shows_its_error_not_a_traceback():
    shown = "".join(_readable(LOG.splitlines(keepends=True)))
    assert "Traceback" not in shown and 'File "' not in shown
    assert "IOException" not in shown  # the cause is in the full log; the raised error says what went wrong
    assert ("ConfigError: /p/orchestration/d/sql/t.sql:2:6: error: undefined name in the template: 'nope' is "
            "undefined\n    expected: a name the template context has\n") in shown
    assert "assertion checks: 0 passed, 1 failed" in shown and "run finished" in shown
    assert "::endgroup::" not in shown
