"""``options:`` of a ``hello`` task. A module of its own, named by an import string in the task type, so
that parsing DAG files that use no ``hello`` task never defines the class."""

from __future__ import annotations

from typing import Any

import attrs


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
