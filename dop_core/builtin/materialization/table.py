"""``materialization/table``: written once over the :class:`~dop_core.contract.engine.Engine` primitives."""

from __future__ import annotations

import logging
from typing import Any

from dop_core.builtin.materialization.outcome import Outcome
from dop_core.config.identifiers import Relation
from dop_core.config.models import Partitioning
from dop_core.contract.contexts import RunContext, SqlTestRun
from dop_core.contract.engine import Engine
from dop_core.contract.shape import PartitioningUnknown, TableShape, column_differences, partitioning_differences
from dop_core.errors import TaskFailed

log = logging.getLogger(__name__)


class SchemaChanged(TaskFailed):
    """The query's columns, or the task's partitioning, no longer match the table as built: only a full
    refresh may change them."""


_FULL_REFRESH_HINT = ("The table was left unchanged. Run with a full refresh to rebuild it "
                      "(`dop run DAG --full-refresh`, or tick 'Full refresh' when triggering the DAG).")


def materialize_table(engine: Engine, relation: Relation, select_sql: str, partitioning: Partitioning | None,
                      full_refresh: bool, dialect: str = "bigquery") -> Outcome:
    """Create the table (first run / full refresh) or replace the partitions (or rows) the query returns.

    Incremental runs stage the result in ``<table>__dop_tmp``, compare it and the task's partitioning
    with the table as built (:mod:`dop_core.contract.shape`; ``dialect`` is the project's), then
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


def run(ctx: RunContext) -> Outcome:
    """``materialization/table``: the query's result, created or (on later runs) updated by partition."""
    assert ctx.relation is not None
    return materialize_table(ctx.engine, ctx.relation, ctx.query(), ctx.partitioning, ctx.full_refresh, ctx.dialect)


def test(run: SqlTestRun) -> tuple[list[str], list[tuple[Any, ...]]]:
    """``dop test``: the table's rows after the run (an incremental one when the test gives ``existing`` rows)."""
    assert run.relation is not None
    run.engine.create_schema(run.relation.schema)
    try:
        materialize_table(run.engine, run.relation, run.sql, run.task.partitioning, run.full_refresh, run.dialect)
    except SchemaChanged as exc:
        raise TaskFailed(f"{exc}\nIn a test, the `existing` rows are the table before the run: give them the "
                         "columns of the query's result (their types under `columns:`).") from None
    return run.relation_rows()
