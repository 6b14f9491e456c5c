"""The ``hello`` task kind: ``kind: {action: hello, target: echo}`` (or ``target: noop``).

This module is what the ``dop`` entry point names: it holds only ``@hookimpl`` functions and what
they return. Building an operator happens at DAG-parse time, so it imports only Airflow's standard
operators, which every Airflow has.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import Any

import attrs

from dop_core import TaskType, hookimpl


def _greeting(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a greeting: write a non-empty string")
    return value


@attrs.frozen
class HelloOptions:
    """``options:`` of a ``hello`` task."""

    greeting: str = attrs.field(
        default="hello",
        metadata={"parse": _greeting, "expected": "a non-empty string", "doc": "the word to say"},
    )
    name: str = attrs.field(default="world", metadata={"doc": "who to greet; Jinja-templated ({{ ds }}...)"})
    times: int = attrs.field(default=1, metadata={"doc": "how many times to say it (1-10)"})


def _validate(ctx: Any) -> Iterator[Any]:
    if not 1 <= ctx.options.times <= 10:
        yield ctx.problem(
            ("options", "times"),
            f"times is {ctx.options.times}",
            "an integer from 1 to 10",
            "say it at most 10 times",
        )


def _echo(build: Any) -> Any:
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
            options=HelloOptions,
            build=_echo,
            validate=_validate,
            description="say hello in the task log (a BashOperator running echo)",
        ),
        TaskType(action="hello", target="noop", build=_noop, description="do nothing (an EmptyOperator)"),
    ]
