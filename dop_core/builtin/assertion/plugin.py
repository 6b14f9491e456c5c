"""The built-in assertion task kinds: ``assertion`` and ``assertion_sensor``."""

from __future__ import annotations

from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import TaskType

_HERE = "dop_core.builtin.assertion."


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [
        TaskType(action="assertion", target="assertion", run=_HERE + "run:run", sql_file="required", sql="query",
                 inputs=(), test=_HERE + "run:test",
                 description="fail unless every row the query returns has success = true"),
        TaskType(action="assertion", target="assertion_sensor", build=_HERE + "run:sensor",
                 options=_HERE + "options:SensorOptions", sql_file="required", sql="query", inputs=(),
                 validate_covers_build=True,  # DOP's sensor, made from the validated wait options
                 test=_HERE + "run:test", description="wait until every row the query returns has success = true"),
    ]
