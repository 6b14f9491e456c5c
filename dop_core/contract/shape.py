"""What an existing table looks like (columns, nullability, partitioning) and what may change incrementally.

Every engine reports a :class:`TableShape` (:meth:`Engine.table_shape
<dop_core.contract.engine.Engine.table_shape>`); whether an incremental run may write into an existing
table is decided once, here, by :func:`column_differences` and
:func:`partitioning_differences`. An incremental run only adds or replaces
rows: a change of columns, of a column's nullability or of the partitioning needs a full refresh,
which rebuilds the table from what the query returns now (rows of partitions it no longer returns are
lost, which is why DOP never does it on its own).

Engines without native partitioning (DuckDB, PostgreSQL) keep a record of the partitioning a table
was built with in the table's comment (:func:`partitioning_comment`): it lives and dies with the
table, so a table replaced outside DOP carries no stale record, only none.
"""

from __future__ import annotations

import enum
import json
from functools import lru_cache
from typing import Any

import attrs

from dop_core.config.models import IntegerRange, Partitioning

#: the prefix of DOP's record in a table's comment
COMMENT_PREFIX = "dop:"


class PartitioningUnknown(enum.Enum):
    """Why a :class:`TableShape` has no partitioning to compare."""

    #: the table carries no record of its partitioning (built by an older DOP, or outside DOP)
    UNRECORDED = "unrecorded"
    #: the engine reports no partitioning at all (the :class:`~dop_core.contract.engine.Engine` default)
    UNTRACKED = "untracked"


@attrs.frozen
class ColumnShape:
    name: str
    #: the type as the engine reports it (``INT64``, ``BIGINT``, ``character varying(10)``...)
    type: str
    #: False for NOT NULL / REQUIRED; None when the engine keeps no nullability
    nullable: bool | None = None


@attrs.frozen
class TableShape:
    """A table as built: its columns in order, and how it is partitioned."""

    columns: tuple[ColumnShape, ...] = ()
    partitioning: Partitioning | PartitioningUnknown | None = PartitioningUnknown.UNTRACKED


def describe_partitioning(p: Partitioning | None) -> str:
    if p is None:
        return "none"
    if p.data_type == "int64" and p.range is not None:
        r = p.range
        return f"{p.field} (int64, range start {r.start}, end {r.end}, interval {r.interval})"
    return f"{p.field} ({p.data_type}, {p.granularity})"


def _partitioning_lines(table: Partitioning | PartitioningUnknown | None, config: Partitioning | None) -> list[str]:
    if table is PartitioningUnknown.UNTRACKED:
        return []
    if table is PartitioningUnknown.UNRECORDED:
        # partition replacement touches only the partitions the query returns: adopting the config is
        # safe; replacing every row of a table that may have been partitioned is not
        return [] if config is not None else [
            "  ? partitioning: the table carries no record of how it is partitioned (built by an older "
            "DOP or outside DOP) and the task has none: replacing all its rows could delete its history"]
    if table is None and config is None:
        return []
    if table is None:
        return [f"  + partitioning by {describe_partitioning(config)}: the table is not partitioned"]
    if config is None:
        return [f"  - partitioning by {describe_partitioning(table)}: the task has no partitioning any more, "
                "so an incremental run would replace every row"]
    lines = []
    if table.field.lower() != config.field.lower():
        lines.append(f"  ~ partitioning field: {table.field} -> {config.field}")
    if table.data_type != config.data_type:
        lines.append(f"  ~ partitioning data_type: {table.data_type} -> {config.data_type}")
    elif table.data_type == "int64":
        if table.range != config.range:
            lines.append(f"  ~ partitioning range: {_range(table.range)} -> {_range(config.range)}")
    elif table.granularity != config.granularity:
        lines.append(f"  ~ partitioning granularity: {table.granularity} -> {config.granularity}")
    return lines


def _range(r: IntegerRange | None) -> str:
    return "none" if r is None else f"start {r.start}, end {r.end}, interval {r.interval}"


@lru_cache(maxsize=1024)
def canonical_type(type_sql: str, engine_dialect: str, dialect: str) -> str:
    """A column type reported by the engine, as the project's dialect spells it.

    Spellings the project's SQL cannot tell apart are one type: on DuckDB ``1`` is an INTEGER and
    ``CAST(1 AS INT64)`` a BIGINT, both BigQuery's INT64; ``INT64`` and ``BIGINT`` are one DuckDB type.
    A wider integer written into a narrower column fails loudly if it does not fit; a single-precision
    float would silently round a double, so REAL stays a type of its own.
    """
    from sqlglot import exp

    try:
        parsed = exp.DataType.build(type_sql, dialect=engine_dialect or None)
    except Exception:  # a type sqlglot does not know: compare as written
        return " ".join(type_sql.upper().split())
    if parsed.this == exp.DataType.Type.FLOAT and engine_dialect != "bigquery":  # BigQuery's FLOAT is FLOAT64
        return "REAL"
    return parsed.sql(dialect=dialect or None).upper()


def _nullability(nullable: bool | None) -> str:
    return "NOT NULL" if nullable is False else "nullable"


def _column_lines(table: tuple[ColumnShape, ...], staged: tuple[ColumnShape, ...], engine_dialect: str,
                  dialect: str) -> list[str]:
    def same_type(a: ColumnShape, b: ColumnShape) -> bool:
        return canonical_type(a.type, engine_dialect, dialect) == canonical_type(b.type, engine_dialect, dialect)

    old = {c.name.lower(): c for c in table}
    new = {c.name.lower(): c for c in staged}
    lines = []
    for column in staged:
        before = old.get(column.name.lower())
        if before is None:
            lines.append(f"  + {column.name} {column.type} (new column)")
        elif not same_type(before, column):
            lines.append(f"  ~ {column.name}: {before.type} -> {column.type}")
        elif None not in (before.nullable, column.nullable) and before.nullable != column.nullable:
            lines.append(f"  ~ {column.name}: {_nullability(before.nullable)} -> {_nullability(column.nullable)}")
    lines += [f"  - {c.name} {c.type} (removed)" for c in table if c.name.lower() not in new]
    if not lines and [c.name.lower() for c in table] != [c.name.lower() for c in staged]:
        lines.append("  column order changed: " + ", ".join(c.name for c in table) + " -> "
                     + ", ".join(c.name for c in staged))
    return lines


def column_differences(table: TableShape, staged: TableShape, *, engine_dialect: str, dialect: str) -> list[str]:
    """How the query's result (``staged``) differs from ``table``'s columns, one line each.

    Types the project's ``dialect`` spells alike are alike; nullability is compared where both
    shapes know it.
    """
    return _column_lines(table.columns, staged.columns, engine_dialect, dialect)


def partitioning_differences(table: TableShape, partitioning: Partitioning | None) -> list[str]:
    """How the task's ``partitioning`` differs from the partitioning ``table`` was built with, one line each."""
    return _partitioning_lines(table.partitioning, partitioning)


# -- the record in a table's comment (engines without native partitioning) ----------------------------
def partitioning_comment(partitioning: Partitioning | None) -> str:
    """The table comment recording that a table was built with ``partitioning`` (``None``: unpartitioned)."""
    record: dict[str, Any] | None = None
    if partitioning is not None:
        record = {"field": partitioning.field, "data_type": partitioning.data_type}
        if partitioning.data_type == "int64" and partitioning.range is not None:
            record["range"] = attrs.asdict(partitioning.range)
        else:
            record["granularity"] = partitioning.granularity
    return COMMENT_PREFIX + json.dumps({"partitioning": record}, sort_keys=True)


def record_partitioning_sql(qualified: str, partitioning: Partitioning | None) -> str:
    """``COMMENT ON TABLE <qualified> IS '<the record>'``: the statement DuckDB and PostgreSQL run to record
    ``partitioning`` (``qualified``: the table's name as the engine quotes it)."""
    return f"COMMENT ON TABLE {qualified} IS '" + partitioning_comment(partitioning).replace("'", "''") + "'"


def partitioning_from_comment(comment: str | None) -> Partitioning | PartitioningUnknown | None:
    """The partitioning recorded by :func:`partitioning_comment`, or UNRECORDED for any other comment."""
    if not comment or not comment.startswith(COMMENT_PREFIX):
        return PartitioningUnknown.UNRECORDED
    try:
        record = json.loads(comment[len(COMMENT_PREFIX):])["partitioning"]
        if record is None:
            return None
        ranged = record.get("range")
        return Partitioning(field=str(record["field"]), data_type=str(record["data_type"]),
                            granularity=str(record.get("granularity", "day")),
                            range=IntegerRange(**ranged) if ranged else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        return PartitioningUnknown.UNRECORDED
