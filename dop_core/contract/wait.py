"""What every wait takes (a trigger, an assertion sensor): subclass :class:`WaitOptions` with
``@attrs.frozen(kw_only=True)`` to add a trigger kind's own options beside them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

from dop_core.config import bounds

#: the metadata of a wait's ``timeout`` (for a subclass changing its default)
TIMEOUT = bounds.duration("write e.g. 6h")


@attrs.frozen(kw_only=True)
class WaitOptions:
    """Options every trigger kind takes: how often to check, for how long, and what waiting costs."""

    poke_interval: dt.timedelta = attrs.field(default=dt.timedelta(seconds=60), metadata={
        **bounds.duration("write e.g. 30s"), "doc": "time between checks, e.g. 30s"})
    timeout: dt.timedelta = attrs.field(default=dt.timedelta(hours=6), metadata={
        **TIMEOUT, "doc": "give up after this long (the waiting task fails, or is skipped with soft_fail)"})
    mode: Literal["poke", "reschedule"] = attrs.field(default="reschedule", metadata={
        "doc": "reschedule frees the worker slot between checks; poke keeps it (for checks every few seconds)"})
    soft_fail: bool = attrs.field(default=False, metadata={
        "doc": "on timeout, skip the waiting task (and what depends on it) instead of failing"})

    def sensor_kwargs(self) -> dict[str, Any]:
        return {"poke_interval": self.poke_interval.total_seconds(), "timeout": self.timeout.total_seconds(),
                "mode": self.mode, "soft_fail": self.soft_fail}
