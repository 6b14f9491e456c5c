"""Built-in trigger kinds (what DAGs and tasks wait for)."""

from __future__ import annotations

from dop_core.hookspecs import hookimpl
from dop_core.records import TriggerType


@hookimpl
def dop_trigger_types() -> list[TriggerType]:
    return []
