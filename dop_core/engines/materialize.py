"""Native task kinds, written once over the :class:`~dop_core.engines.base.Engine` primitives."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import attrs

from dop_core.engines.base import Argument, Engine, QueryResult
from dop_core.engines.shape import PartitioningUnknown, TableShape, column_differences, partitioning_differences
from dop_core.errors import EngineError
from dop_core.identifiers import Relation
from dop_core.project import Partitioning

log = logging.getLogger(__name__)


class SchemaChanged(EngineError):
    """The query's columns, or the task's partitioning, no longer match the table as built: only a full
    refresh may change them."""


class AssertionFailed(EngineError):
    """An assertion returned at least one row whose ``success`` is not true."""


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


_FULL_REFRESH_HINT = ("The table was left unchanged. Run with a full refresh to rebuild it "
                      "(`dop run DAG --full-refresh`, or tick 'Full refresh' when triggering the DAG).")


def materialize_table(engine: Engine, relation: Relation, select_sql: str, partitioning: Partitioning | None,
                      full_refresh: bool, dialect: str = "bigquery") -> Outcome:
    """Create the table (first run / full refresh) or replace the partitions (or rows) the query returns.

    Incremental runs stage the result in ``<table>__dop_tmp``, compare it and the task's partitioning
    with the table as built (:mod:`dop_core.engines.shape`; ``dialect`` is the project's), then
    replace atomically; on any failure or difference the table is left as it was.
    """
    with engine.lock(relation):
        if full_refresh or not engine.table_exists(relation):
            engine.create_table_as(relation, select_sql, partitioning, replace=True)
            engine.record_partitioning(relation, partitioning)
            return Outcome("full refresh of" if full_refresh else "created", str(relation), engine.row_count(relation))
        staged = engine.temp_relation(relation)
        engine.create_table_as(staged, select_sql, partitioning, replace=True)
        try:
            table = engine.table_shape(relation)
            columns = column_differences(table, engine.table_shape(staged), engine_dialect=engine.dialect,
                                         dialect=dialect)
            partitions = partitioning_differences(table, partitioning)
            if columns or partitions:
                lost = ("\nA full refresh rebuilds it from what the query returns now: rows of partitions the "
                        "query does not return are lost." if partitions else "")
                raise SchemaChanged(
                    f"the query's columns or the task's partitioning no longer match table {relation}:\n"
                    + "\n".join(columns + partitions) + f"\n{_FULL_REFRESH_HINT}{lost}")
            _warn_unchecked(engine, relation, table)
            rows = engine.row_count(staged)
            if partitioning is not None:
                parts = engine.replace_partitions(relation, staged, partitioning)
                outcome = Outcome("updated", str(relation), rows, parts)
            else:
                engine.replace_all(relation, staged)
                outcome = Outcome("replaced all rows of", str(relation), rows)
            if table.partitioning is PartitioningUnknown.UNRECORDED:
                engine.record_partitioning(relation, partitioning)
            return outcome
        finally:
            engine.drop_table(staged)


def _warn_unchecked(engine: Engine, relation: Relation, table: TableShape) -> None:
    if table.partitioning is PartitioningUnknown.UNTRACKED:
        log.warning("the %s engine does not report how tables are partitioned: DOP cannot check that %s is "
                    "still partitioned as the task says", type(engine).__name__, relation)
    elif table.partitioning is PartitioningUnknown.UNRECORDED:
        log.warning("table %s has no record of how it is partitioned (built by an older DOP or outside DOP): "
                    "DOP adopts the task's partitioning and records it", relation)


def run_assertion(engine: Engine, sql: str, name: str) -> tuple[bool, str]:
    """Run an assertion query; return (all passed, a readable report of every row).

    A query that returns no row fails: an assertion that checks nothing passing silently hides a
    broken query (the original DOP let it pass).
    """
    result = engine.query(sql)
    lower = [c.lower() for c in result.columns]
    missing = [c for c in ("success", "description") if c not in lower]
    if missing:
        raise EngineError(f"assertion {name!r} must return the columns success and description; "
                          f"its columns are {', '.join(result.columns) or 'none'} (missing {', '.join(missing)})")
    return assertion_report(result, lower, name)


def assertion_report(result: QueryResult, lower: list[str], name: str) -> tuple[bool, str]:
    if not result.rows:
        return False, (f"assertion {name}: failed, the query returned no rows; an assertion returns at least one "
                       "row, each with success and description")
    si, di = lower.index("success"), lower.index("description")
    others = [i for i in range(len(lower)) if i not in (si, di)]
    lines, passed = [], True
    for row in result.rows:
        ok = row[si] is True or row[si] == 1
        passed &= ok
        extra = ", ".join(f"{result.columns[i]}={row[i]!r}" for i in others)
        lines.append(f"  [{'PASS' if ok else 'FAIL'}] {row[di]}" + (f" ({extra})" if extra else ""))
    failed = sum(1 for line in lines if line.startswith("  [FAIL]"))
    head = f"assertion {name}: {len(result.rows) - failed} passed, {failed} failed"
    return passed, head + "\n" + "\n".join(lines)


def create_function(engine: Engine, relation: Relation, arguments: Sequence[Argument], body: str,
                    returns: str | None, dialect: str = "bigquery") -> Outcome:
    engine.create_function(relation, arguments, body.strip().rstrip(";"), returns, dialect)
    return Outcome("created function", str(relation))


def as_arguments(raw: Sequence[Any]) -> list[Argument]:
    out = []
    for a in raw:
        if isinstance(a, dict):
            out.append(Argument(a["name"], a["type"], a.get("mode", "IN")))
        else:
            out.append(Argument(a.name, a.type, getattr(a, "mode", "IN")))
    return out
