"""JSON schemas of values that a ``parse`` function (field metadata) accepts, for the ``"schema"`` field metadata.

A field whose value goes through ``parse`` says in its ``"schema"`` metadata what the function accepts,
as a JSON schema (draft 2020-12), so that ``dop schema`` can tell editors; a field without it accepts
anything in the editor's eyes and is checked by ``dop validate`` alone. Keep a schema no stricter than
its function: every value the function accepts must pass it.
"""

from __future__ import annotations

import re
from typing import Any

from dop_core.config.durations import EXPECTED as DURATION_EXPECTED


def any_case(*words: str) -> dict[str, Any]:
    """A string that is one of ``words`` in any letter case (what a parse lowering its value accepts)."""
    alternatives = ("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in w) for w in words)
    return {"type": "string", "pattern": "^(?:" + "|".join(alternatives) + ")$", "examples": list(words)}


def full_match(pattern: str) -> dict[str, Any]:
    """A string the regular expression ``pattern`` matches whole (as ``re.fullmatch``)."""
    return {"type": "string", "pattern": f"^(?:{pattern})$"}


_UNITS = "(?:[mM][sS]|[wWdDhHmMsS])"
_DURATION_TEXT = rf"\s*(?:\d[\d ]*|(?:\d+(?:\.\d+)?\s*{_UNITS}\s*)+)$"


def duration_schema(shortest: float = 0, longest: float | None = None, expected: str = DURATION_EXPECTED
                    ) -> dict[str, Any]:
    """What :func:`dop_core.config.durations.parse_duration` reads (5m, 1h30m, a number of seconds, {minutes: 5}),
    from ``shortest`` to ``longest`` seconds: a number is held to both, a text to none but "not zero" when
    ``shortest`` is above 0 (it has a digit other than 0), a mapping to neither."""
    seconds: dict[str, Any] = {"type": "number", "minimum": shortest}
    if longest is not None:
        seconds["maximum"] = longest
    not_zero = "(?=.*[1-9])" if shortest > 0 else ""
    return {
        "anyOf": [
            seconds,
            {"type": "string", "pattern": f"^{not_zero}{_DURATION_TEXT}"},
            {"type": "object", "minProperties": 1, "additionalProperties": False,
             "properties": {unit: {"type": "number", "minimum": 0}
                            for unit in ("weeks", "days", "hours", "minutes", "seconds", "milliseconds")}},
        ],
        "description": expected,
    }


DURATION = duration_schema()
