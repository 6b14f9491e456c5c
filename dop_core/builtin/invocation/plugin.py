"""The built-in invocation task kind: ``invocation/stored_procedure``."""

from __future__ import annotations

from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import TaskType


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [TaskType(action="invocation", target="stored_procedure", run="dop_core.builtin.invocation.run:run",
                     sql_file="required", sql="script", inputs=(),
                     description="run the SQL file's statements, typically CALL schema.procedure(...)")]
