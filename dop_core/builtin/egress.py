"""The core's generic ``egress`` task action: ship a table or a query's result to a destination.

Destinations are :class:`dop_core.EgressType` records registered by plugins (dop-egress ships
``file``, ``gcs`` and ``sftp``).
"""

from __future__ import annotations

from dop_core.hookspecs import hookimpl
from dop_core.records import TaskType


@hookimpl
def dop_task_types() -> list[TaskType]:
    return []
