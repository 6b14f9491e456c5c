"""``dop validate``'s translation check: SQL that cannot run with BigQuery's meaning on the target engine."""

from __future__ import annotations

import pathlib

from dop_core.errors import Location, Problem

#: Jinja markers: a template is checked once rendered, not as written
_TEMPLATE_MARKERS = ("{{", "{%", "{#")


def translation_problems(sql: str, path: pathlib.Path | str, source: str, target: str,
                         single_catalog: bool = False) -> list[Problem]:
    """Problems (file:line:column) where ``sql``, written in ``source``, cannot be translated to ``target``
    with the same meaning. SQL that does not parse is left to the parse check; a template is not checked."""
    from dop_core.sql import UnsupportedSqlError
    from dop_core.sql.dialects import SqlError, translate

    if source == target or any(marker in sql for marker in _TEMPLATE_MARKERS):
        return []
    try:
        translate(sql, source, target, single_catalog)
    except UnsupportedSqlError as exc:
        return [Problem(Location(str(path), exc.line or 1, exc.column or 1), f"{exc.message}",
                        expected=f"SQL that means on {target} what it means on {source}",
                        fix=f"rewrite this construct, or run the task on a {source} target")]
    except SqlError:
        return []
    return []
