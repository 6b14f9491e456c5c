"""What a script's ``@@`` system variables read, and the error an exception handler catches (``@@error``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dop_core.sql.dialects import SqlError, parse_type
from dop_core.sql.scripting.binding import Value

_STACK_TRACE_TYPE = "ARRAY<STRUCT<line INT64, column INT64, filename STRING, location STRING>>"


class ScriptFailure(Exception):
    """An error a script's ``EXCEPTION WHEN ERROR`` handler catches: a statement failed on the engine, or RAISE."""

    def __init__(self, message: str, statement: str, stack: list[tuple[str | None, int, int]]):
        super().__init__(message)
        self.message = message
        self.statement = statement
        self.stack = stack  # (procedure or None for the script, line, column), innermost first

    def formatted_stack(self) -> str:
        return "\n".join(f"At {location or ''}[{line}:{column}]" for location, line, column in self.stack)

    def where(self) -> str:
        """``line L, column C`` of the statement, then the CALLs that led to it."""
        parts = []
        for i, (location, line, column) in enumerate(self.stack):
            place = f"line {line}, column {column}" + (f" of procedure {location}" if location else "")
            parts.append(place if i == 0 else f"called at {place}")
        return ", ".join(parts)


def system_variable(name: str, interpreter: Any) -> Value:
    """The value of ``@@name`` in ``interpreter``'s run (an error for a variable DOP does not know locally)."""
    if name.startswith("@@error."):
        if not interpreter.errors:
            raise SqlError(f"{name} is only set inside an EXCEPTION WHEN ERROR THEN handler")
        return _error_variable(interpreter.errors[-1], name)
    found = _SYSTEM.get(name)
    if found is None:
        raise SqlError(f"{name} is not a system variable DOP knows locally (supported: "
                       f"{', '.join(sorted([*_SYSTEM, *_ERROR_FIELDS]))})")
    value, type_sql = found(interpreter)
    return Value(value, parse_type(type_sql, "bigquery"))


def _error_variable(failure: ScriptFailure, name: str) -> Value:
    field = name.removeprefix("@@error.")
    if field == "message":
        return Value(failure.message, parse_type("STRING", "bigquery"))
    if field == "statement_text":
        return Value(failure.statement, parse_type("STRING", "bigquery"))
    if field == "formatted_stack_trace":
        return Value(failure.formatted_stack(), parse_type("STRING", "bigquery"))
    if field == "stack_trace":
        frames = [{"line": line, "column": column, "filename": None, "location": location}
                  for location, line, column in failure.stack]
        return Value(frames, parse_type(_STACK_TRACE_TYPE, "bigquery"))
    raise SqlError(f"{name} is not a field of @@error (its fields: {', '.join(_ERROR_FIELDS)})")


_ERROR_FIELDS = ["@@error.formatted_stack_trace", "@@error.message", "@@error.stack_trace",
                 "@@error.statement_text"]
_SYSTEM: dict[str, Callable[[Any], tuple[Any, str]]] = {
    "@@row_count": lambda it: (it.row_count, "INT64"),
    "@@script.job_id": lambda it: (it.job, "STRING"),
    "@@script.creation_time": lambda it: (it.created, "TIMESTAMP"),
    "@@script.num_child_jobs": lambda it: (it.children, "INT64"),
    "@@script.bytes_processed": lambda it: (0, "INT64"),
    "@@script.bytes_billed": lambda it: (0, "INT64"),
    "@@script.slot_ms": lambda it: (0, "INT64"),
    "@@current_job_id": lambda it: (f"{it.job}_{it.children + 1}", "STRING"),
    "@@last_job_id": lambda it: (f"{it.job}_{it.children}" if it.children else None, "STRING"),
    "@@time_zone": lambda it: ("UTC", "STRING"),
    "@@dataset_id": lambda it: (None, "STRING"),
    "@@dataset_project_id": lambda it: (None, "STRING"),
}
