"""The options model of the ``airflow_operator`` task kind, imported only to validate a config that uses
one (or to read a cached one)."""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class AirflowOperatorOptions:
    arguments: dict[str, Any] = attrs.field(factory=dict, metadata={
        "doc": "keyword arguments of the operator; durations as '5m' where it takes a timedelta"})
