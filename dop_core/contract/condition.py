"""A SQL condition: a query whose rows each say ``success`` and ``description`` (an assertion, a sql trigger),
its readable report, and the sensor that waits until every row passes.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import BaseSensorOperator

from dop_core.config.models import Target
from dop_core.contract.engine import Engine, QueryResult
from dop_core.contract.runtime import connect
from dop_core.contract.sql_task import DopSqlMixin
from dop_core.errors import DopError, EngineError, TaskFailed
from dop_core.secrets import redact

log = logging.getLogger(__name__)


class AssertionFailed(TaskFailed):
    """An assertion returned at least one row whose ``success`` is not true."""


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


class DopAssertionSensor(DopSqlMixin, BaseSensorOperator):
    """Re-runs an assertion (or any SQL condition returning success/description) until it passes."""

    ui_color = "#fff3c4"

    def __init__(self, *, kind: str, target: Target, dialect: str, sql: str, sql_file: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.target = target
        self.dialect = dialect
        self.sql = sql
        self.sql_file = sql_file
        self.relation = None
        self._show_in_ui(sql_file)
        self.hide_credentials()

    def poke(self, context: Any) -> bool:
        from dop_core.sql.dialects import check_query

        try:
            check_query(self.sql, self.dialect)
            with connect(self.target) as engine:
                passed, report = run_assertion(engine, engine.translate(self.revealed("sql"), self.dialect),
                                               self.task_id)
        except DopError:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc
        log.info("%s", redact(report))
        return passed
