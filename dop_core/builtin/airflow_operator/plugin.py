"""The built-in ``airflow_operator`` task kind: any Airflow operator, by its dotted class path."""

from __future__ import annotations

from dop_core.contract.hookspecs import hookimpl
from dop_core.contract.records import TaskType


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [TaskType(action="airflow_operator", target="*",
                     options="dop_core.builtin.airflow_operator.options:AirflowOperatorOptions",
                     build="dop_core.builtin.airflow_operator.operator:build",
                     validate="dop_core.builtin.airflow_operator.operator:validate",
                     inputs="dop_core.builtin.airflow_operator.operator:inputs", validate_covers_build=True,
                     description="any Airflow operator: target is its dotted class path, options.arguments its kwargs")]
