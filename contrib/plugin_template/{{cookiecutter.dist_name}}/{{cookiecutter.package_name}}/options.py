"""The ``options:`` model of the ``{{ cookiecutter.action }}/message`` task kind.

DOP structures a task's YAML ``options:`` into this attrs class and reports every mistake with its
file, line and column. Field metadata tells it more:

- ``"doc"``: one line for the docs (``dop`` shows it in errors and the config reference);
- ``"parse"``: a function turning the raw YAML value into the field's value; raise ValueError with a
  message that says what is wrong;
- ``"expected"``: how the value should be written, shown with errors.

Supported types: str, int, float, bool, list[...], dict[str, ...], Literal[...], nested attrs
classes, ``X | None`` and ``datetime.timedelta`` (written ``5m``, ``1h30m`` or ``{minutes: 5}``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a message: write some text")
    return value


@attrs.frozen
class MessageOptions:
    """``kind: {action: {{ cookiecutter.action }}, target: message}``"""

    text: str = attrs.field(metadata={
        "parse": _text, "expected": "a non-empty string",
        "doc": "what the task writes to its log and returns; Jinja-templated (ds, params...)"})
    repeat: int = attrs.field(default=1, metadata={"doc": "how many times to write it (1 to 100)"})
    level: Literal["info", "warning"] = attrs.field(default="info", metadata={"doc": "log level of the message"})
    timeout: dt.timedelta = attrs.field(default=dt.timedelta(minutes=5), metadata={
        "doc": "fail the task if it runs longer, e.g. 30s or 5m"})
