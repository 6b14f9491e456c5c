"""What a materialization did, as its task logs it and pushes it to XCom."""

from __future__ import annotations

import attrs


@attrs.frozen
class Outcome:
    """What a materialization did, for the task log and XCom."""

    action: str
    relation: str
    rows: int | None = None
    partitions: int | None = None

    def __str__(self) -> str:
        text = f"{self.action} {self.relation}"
        if self.partitions is not None:
            text += f": replaced {self.partitions} partition(s)"
        if self.rows is not None:
            text += f" ({self.rows} rows)"
        return text
