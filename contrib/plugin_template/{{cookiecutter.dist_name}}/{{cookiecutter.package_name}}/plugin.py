"""The module the ``dop`` entry point names: the plugin's ``@hookimpl`` functions.

It registers one task kind, ``kind: {action: {{ cookiecutter.action }}, target: message}``. Add
triggers (``dop_trigger_types``), egress destinations (``dop_egress_types``) or warehouse engines
(``dop_engines``) the same way; see DOP's plugin guide (docs/plugins.md).

Airflow imports this module at every parse of the DAG files, so it stays light: the options model is
named by its import string (imported when a task of this kind is validated), and ``build`` imports
the operator's module only when a task is built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dop_core import Problem, TaskBuild, TaskType, ValidationContext, hookimpl

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.options import MessageOptions


def validate(ctx: ValidationContext) -> Iterator[Problem]:
    """Checks beyond the options model's types; each problem points at its place in config.yaml."""
    if not 1 <= ctx.options.repeat <= 100:
        yield ctx.problem(("options", "repeat"), f"repeat is {ctx.options.repeat}", "an integer from 1 to 100",
                          "write the message at most 100 times")


def build(task: TaskBuild) -> Any:
    """One validated task -> its Airflow operator. Runs at DAG-parse time: import nothing heavy."""
    from {{ cookiecutter.package_name }}.operator import {{ cookiecutter.class_prefix }}MessageOperator

    options: MessageOptions = task.options
    kwargs = task.operator_kwargs()  # task_id, retries, pool, docs... from the task's config
    kwargs.setdefault("execution_timeout", options.timeout)
    operator = {{ cookiecutter.class_prefix }}MessageOperator
    return operator(text=options.text, repeat=options.repeat, level=options.level, **kwargs)


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [
        TaskType(action="{{ cookiecutter.action }}", target="message", build=build, validate=validate,
                 options="{{ cookiecutter.package_name }}.options:MessageOptions",
                 # validate (with the options model) finds everything build would refuse, so `dop validate`
                 # checks a DAG of this kind without building it, and without importing Airflow. Set it to
                 # False (or a function of the options and settings) if build can fail where validate cannot see
                 validate_covers_build=True,
                 description="write a templated message to the task log"),
    ]
