"""The options of ``assertion_sensor``, imported only to validate a config that uses it."""

from __future__ import annotations

import datetime as dt

import attrs

from dop_core.contract.wait import TIMEOUT, WaitOptions


@attrs.frozen(kw_only=True)
class SensorOptions(WaitOptions):
    """``assertion_sensor``: a trigger's wait options, but it gives up sooner by default."""

    timeout: dt.timedelta = attrs.field(default=dt.timedelta(hours=1), metadata={
        **TIMEOUT, "doc": "give up after this long (the waiting task fails, or is skipped with soft_fail)"})
