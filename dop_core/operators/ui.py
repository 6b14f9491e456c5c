"""What the Airflow UI shows of a DOP task: its kind on the graph's node, its docs, the SQL as sent to the engine.

- The node: Airflow shows an operator's ``custom_operator_name`` in place of its class name, so a DOP task reads
  ``materialization/table`` rather than ``DopSqlOperator`` (the task id stays the config's identifier).
- The docs (``doc_md``, the task's "Docs" tab): the config's description, then the kind, the SQL file, the
  table written and its partitioning, and the task's options.
- The rendered templates: ``sql`` is the SQL as written (rendered, in the project's dialect) and
  :data:`SQL_AS_SENT` the same SQL translated to the target engine's dialect, as the task sends it.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

#: the template field that holds the rendered SQL as sent to the engine (translated)
SQL_AS_SENT = "sql_as_sent"
#: kinds whose SQL is a script bound and translated statement by statement as it runs
_SCRIPTS = ("materialization/stored_procedure", "invocation/stored_procedure", "materialization/udf")


def task_doc(description: str | None, kind: str, sql_file: str | None, relation: Any = None,
             partitioning: Any = None, options: Any = None) -> str:
    """The task's Markdown docs: its description (from the config), then what DOP knows of it."""
    lines = [f"{description.strip()}\n"] if description and description.strip() else []
    lines.append(f"- **kind**: `{kind}`")
    if sql_file:
        lines.append(f"- **SQL file**: `{sql_file}` (in the DAG's folder)")
    if relation is not None:
        lines.append(f"- **schema**: `{relation.schema}`" if kind == "materialization/schema"
                     else f"- **writes**: `{relation}`")
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


def sql_as_sent(sql: str, kind: str, dialect: str, engine_name: str) -> str:
    """``sql`` (rendered, credentials masked) as the task sends it to engine ``engine_name``: translated from the
    project's ``dialect``; a script kind says it is translated statement by statement as it runs."""
    from dop_core.engines.sql import translate
    from dop_core.plugins import get_registry

    if not sql.strip():
        return sql
    engine = get_registry().named("engine", engine_name)
    if kind in _SCRIPTS and engine.dialect != dialect:
        return f"-- translated to {engine.dialect} statement by statement as it runs\n{sql}"
    try:
        return translate(sql, dialect, engine.dialect, engine.single_catalog)
    except Exception as exc:  # the task itself reports it, with its line, when it runs
        return f"-- not translated to {engine.dialect}: {type(exc).__name__}: {exc}\n{sql}"


def param_description(name: str, default: Any, config_file: str) -> str:
    """The trigger form's description of a DAG param whose config gives none."""
    return (f"Param {name} from {config_file} (default: {json.dumps(default, default=str)}); "
            "give it a description there (params.<name>.description).")


def show_kind(node: Any, kind: str) -> None:
    """Label the operator (or each operator of the task group) a config task of ``kind`` became with it on the UI's
    graph; an Airflow operator named by the config (``airflow_operator/...``) and one labelled already keep theirs."""
    if kind.startswith("airflow_operator/"):
        return
    children = getattr(node, "children", None)
    for each in children.values() if isinstance(children, dict) else (node,):
        if isinstance(getattr(each, "children", None), dict):
            show_kind(each, kind)
        elif getattr(each, "custom_operator_name", None) is None:
            each.custom_operator_name = kind
