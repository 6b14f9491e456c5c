"""What the Airflow UI shows of a DOP SQL task: its docs and the SQL as sent to the engine.

- The docs (``doc_md``, the task's "Docs" tab): the config's description, then the kind, the SQL file, the
  table written and its partitioning, and the task's options.
- The rendered templates: ``sql`` is the SQL as written (rendered, in the project's dialect) and
  :data:`SQL_AS_SENT` the same SQL translated to the target engine's dialect, as the task sends it.

The graph's node labels and the params' descriptions are set when building the DAG (:mod:`dop_core.build.ui`).
"""

from __future__ import annotations

import json
from typing import Any

import attrs

#: the template field that holds the rendered SQL as sent to the engine (translated)
SQL_AS_SENT = "sql_as_sent"


def task_doc(description: str | None, kind: str, sql_file: str | None, relation: Any = None,
             partitioning: Any = None, options: Any = None, creates_schema: bool = False) -> str:
    """The task's Markdown docs: its description (from the config), then what DOP knows of it. ``creates_schema``:
    the task's relation is the schema it creates (its kind writes no table and runs no SQL of its own)."""
    lines = [f"{description.strip()}\n"] if description and description.strip() else []
    lines.append(f"- **kind**: `{kind}`")
    if sql_file:
        lines.append(f"- **SQL file**: `{sql_file}` (in the DAG's folder)")
    if relation is not None:
        lines.append(f"- **schema**: `{relation.schema}`" if creates_schema else f"- **writes**: `{relation}`")
    if partitioning is not None:
        shown = _plain(partitioning)
        lines.append(f"- **partitioning**: `{json.dumps(shown, default=str)}`")
    shown_options = _plain(options)
    if shown_options:
        lines.append("- **options**:")
        lines += [f"    - `{key}`: `{json.dumps(value, default=str)}`" for key, value in shown_options.items()]
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    """An options or partitioning object as plain data, without its unset (None or empty) entries."""
    if value is None:
        return None
    if attrs.has(type(value)):
        value = attrs.asdict(value)
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if item not in (None, {}, [], ()) and not key.startswith("_")}
    return value


def sql_as_sent(sql: str, script: bool, dialect: str, engine_name: str) -> str:
    """``sql`` (rendered, credentials masked) as the task sends it to engine ``engine_name``: translated from the
    project's ``dialect``; a ``script`` (a kind whose SQL is a script or a function's body, bound and translated
    statement by statement as it runs) says so."""
    from dop_core.contract.registry import get_registry
    from dop_core.sql.dialects import translate

    if not sql.strip():
        return sql
    engine = get_registry().named("engine", engine_name)
    if script and engine.dialect != dialect:
        return f"-- translated to {engine.dialect} statement by statement as it runs\n{sql}"
    try:
        return translate(sql, dialect, engine.dialect, engine.single_catalog)
    except Exception as exc:  # the task itself reports it, with its line, when it runs
        return f"-- not translated to {engine.dialect}: {type(exc).__name__}: {exc}\n{sql}"
