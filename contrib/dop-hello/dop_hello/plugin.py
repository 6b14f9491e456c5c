"""The ``hello`` task kind: ``kind: {action: hello, target: echo}`` (or ``target: noop``).

This module is what the ``dop`` entry point names: it holds only ``@hookimpl`` functions and what
they return, and every parse of the DAG files imports it, so it stays light: the options model is
named by its import string (:mod:`dop_hello.options`, imported when a ``hello`` task is validated).
Building an operator happens at DAG-parse time, so it imports only Airflow's standard operators.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dop_core import TaskType, hookimpl


def _validate(ctx: Any) -> Iterator[Any]:
    if not 1 <= ctx.options.times <= 10:
        yield ctx.problem(
            ("options", "times"),
            f"times is {ctx.options.times}",
            "an integer from 1 to 10",
            "say it at most 10 times",
        )


def _echo(build: Any) -> Any:
    import shlex

    from airflow.providers.standard.operators.bash import BashOperator

    o = build.options
    line = shlex.quote(f"{o.greeting}, {o.name}!")
    return BashOperator(bash_command="; ".join([f"echo {line}"] * o.times), **build.operator_kwargs())


def _noop(build: Any) -> Any:
    from airflow.providers.standard.operators.empty import EmptyOperator

    return EmptyOperator(**build.operator_kwargs())


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [
        TaskType(
            action="hello",
            target="echo",
            options="dop_hello.options:HelloOptions",
            build=_echo,
            validate=_validate,
            inputs=(),
            # the operator is made from options the model and _validate checked: `dop validate` need not build it
            validate_covers_build=True,
            description="say hello in the task log (a BashOperator running echo)",
        ),
        TaskType(action="hello", target="noop", build=_noop, inputs=(), validate_covers_build=True,
                 description="do nothing (an EmptyOperator)"),
    ]
