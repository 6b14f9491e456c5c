"""What ``dop validate`` checks in the SQL of a built DAG, so that a run does not find it first.

One pass over each task's SQL template: it is rendered once for each run checked (an incremental run and
a full refresh, for a sample date; a template error is an error at its line of the SQL file). When the
task's kind says how DOP reads its SQL (its record's ``sql``), the rendered text is then parsed in the
project's dialect; a ``query`` is checked to be exactly one read-only query and, given the target's
engine, to mean on it what it means in the project's dialect. Every error is placed at the line and
column of the template where the offending text is written. A task whose SQL has no statement (an empty
file) gets a warning (an error under ``dop validate --strict``): its run would fail.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

from dop_core.config.models import DagConfig, trigger_groups, trigger_task_ids
from dop_core.errors import ConfigError, Location, Problem
from dop_core.jinja.render import CHECKED_RUNS, Rendered, sql_tasks

#: what the SQL of a kind whose SQL is a ``script`` (a procedure's body, an invocation) may hold
SCRIPT_EXPECTED = "SQL statements, and BigQuery scripting in a BigQuery project (DECLARE, SET, IF, LOOP, CALL...)"


def sql_form(task: Any) -> str | None:
    """How DOP reads ``task``'s SQL (``query``, ``script``, ``expression``), as its kind's record says; None
    when its SQL is the kind's own business (a plugin's SQL, Spark's...)."""
    return getattr(getattr(task, "dop_kind", None), "sql", None)


def check_dag_sql(dag: Any, dialect: str, date: dt.date, parse: bool = True, engine: Any = None,
                  config: DagConfig | None = None) -> list[Problem]:
    """The problems of ``dag``'s SQL templates, rendered for ``date``; with ``parse``, the checks of
    :func:`sql_problems` on each render (translation too when ``engine``, an EngineType, is given).
    ``config`` places a problem of SQL written in the config (a sql trigger's ``options.sql``)."""
    inline = inline_sql_locations(config) if config is not None else {}
    return check_templates(dag, list(sql_tasks(dag)), dag.get_template_env(), dialect, date, parse, engine, inline)


def check_templates(dag: Any, tasks: list[Any], env: Any, dialect: str, date: dt.date, parse: bool = True,
                    engine: Any = None, inline: dict[str, Location] | None = None) -> list[Problem]:
    """The problems of the SQL templates of ``tasks`` (a built DAG's operators, or stand-ins holding what
    templates read of them, their kind's record as ``dop_kind`` and their ``options``), rendered with the
    DAG's Jinja ``env``; see :func:`check_dag_sql`. ``inline``: where SQL written in the config is, by task id."""
    from dop_core.jinja.render import render_task

    problems: list[Problem] = []
    for task in tasks:
        if not task.sql:
            continue
        form = sql_form(task)
        checked: set[str] = set()
        for full_refresh, incremental in CHECKED_RUNS:
            try:
                rendered = render_task(dag, task, date, full_refresh, incremental, env)
            except ConfigError as exc:
                problems += exc.problems
                break  # the other render fails the same way, as a rule
            if parse and form is not None and rendered.text not in checked:  # the same text has the same problems
                checked.add(rendered.text)
                problems += sql_problems(rendered, dialect, task, form, engine, (inline or {}).get(task.task_id))
    return _unique(problems)


def sql_problems(rendered: Rendered, dialect: str, task: Any, form: str, engine: Any = None,
                 inline: Location | None = None) -> list[Problem]:
    """The problems of one rendered template: a syntax error (or no statement at all); for a ``query``, a
    statement that is not exactly one read-only query, and a construct the target ``engine`` cannot express
    with the same meaning. Each at its place in the template (``inline``: where SQL written in the config is)."""
    found = parse_problems(rendered, dialect, task)
    if found or form != "query":
        return found
    return read_only_problems(rendered, dialect, inline) or translation_problems(rendered, dialect, engine)


def read_only_problems(rendered: Rendered, dialect: str, inline: Location | None = None) -> list[Problem]:
    """A problem when the rendered query is not exactly one read-only query (checked again when it runs)."""
    from dop_core.sql.dialects import READ_ONLY_EXPECTED, SqlError, check_query

    try:
        check_query(rendered.text, dialect)
    except SqlError as exc:
        if exc.line is None:  # it does not parse: reported by the parse check
            return []
        if inline is not None:  # SQL written in the config: the option's place, and the place inside its text
            return [Problem(inline, f"options.sql, {exc}", READ_ONLY_EXPECTED, "remove everything but the query")]
        where = rendered.location(_offset(rendered.text, exc.line, exc.column or 1))
        return [Problem(where, exc.reason, READ_ONLY_EXPECTED, "remove everything but the query")]
    return []


def translation_problems(rendered: Rendered, dialect: str, engine: Any) -> list[Problem]:
    """A problem where the rendered query, written in ``dialect``, cannot be translated to ``engine``'s with
    the same meaning (SQL that does not translate for another reason is left to the run)."""
    from dop_core.sql import UnsupportedSqlError
    from dop_core.sql.dialects import SqlError, translate

    if engine is None or engine.dialect == dialect:
        return []
    try:
        translate(rendered.text, dialect, engine.dialect, engine.single_catalog)
    except UnsupportedSqlError as exc:
        where = rendered.location(_offset(rendered.text, exc.line or 1, exc.column or 1))
        return [Problem(where, exc.message, expected=f"SQL that means on {engine.dialect} what it means on {dialect}",
                        fix=f"rewrite this construct, or run the task on a {dialect} target")]
    except SqlError:
        return []
    return []


def inline_sql_locations(config: DagConfig) -> dict[str, Location]:
    """Where the ``options.sql`` of each trigger is written, by the id of its wait task."""
    if config.document is None:
        return {}
    found = {}
    for path, triggers, owner in trigger_groups(config.tasks, config.triggers):
        for task_id, trig in zip(trigger_task_ids(config, triggers, owner), triggers, strict=True):
            if "sql" in trig.options:
                found[task_id] = config.document.at((*path, trig.position, "options", "sql"))
    return found


def parse_problems(rendered: Rendered, dialect: str, task: Any) -> list[Problem]:
    """A syntax error in ``rendered`` (located in its template), or a warning when it has no statement. A
    procedure's body and an invocation's SQL are parsed as a script (BigQuery scripting in a BigQuery
    project), with the rules BigQuery checks before running one."""
    from sqlglot.errors import ParseError, TokenError

    from dop_core.sql.dialects import parsed

    if sql_form(task) == "script" and rendered.text.strip():
        return script_problems(rendered, dialect, task)

    quiet = logging.getLogger("sqlglot")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "falling back to parsing as a Command" is not the user's concern here
    try:
        statements = parsed(rendered.text, dialect)  # read again by the read-only check
    except ParseError as exc:
        return [_syntax_error(rendered, dialect, exc.errors[0] if exc.errors else {}, str(exc))]
    except TokenError as exc:
        return [_token_error(rendered, dialect, exc)]
    finally:
        quiet.setLevel(level)
    if statements:
        return []
    what = "is empty" if not rendered.source.strip() else "has no SQL statement once rendered"
    return [Problem(Location(rendered.path, 1, 1), f"the SQL file of task {task.task_id!r} [{task.kind}] {what}; "
                    "running the task would fail", "the SQL the task runs",
                    "write the task's SQL, or remove the task until it has some", severity="warning")]


def script_problems(rendered: Rendered, dialect: str, task: Any) -> list[Problem]:
    """A scripting mistake in ``rendered`` (a syntax error of a statement or of the scripting around it, a
    DECLARE after other statements, an undeclared variable, BREAK outside a loop...), located in its
    template."""
    from dop_core.sql.dialects import SqlError
    from dop_core.sql.scripting.parser import parse_script

    arguments = [a.name for a in getattr(task.options, "arguments", None) or []]
    try:
        parse_script(rendered.text, dialect, arguments)
    except SqlError as exc:
        where = rendered.location(_offset(rendered.text, exc.line or 1, exc.column or 1))
        return [Problem(where, exc.reason, SCRIPT_EXPECTED,
                        "fix the statement here (`dop compile DAG TASK` shows the SQL as rendered)")]
    return []


def _syntax_error(rendered: Rendered, dialect: str, error: dict[str, Any], fallback: str) -> Problem:
    text = rendered.text
    line, col = int(error.get("line") or 1), int(error.get("col") or 1)
    highlight = str(error.get("highlight") or "")
    end = _offset(text, line, col)  # sqlglot's column is that of the offending token's last character
    start = max(end - len(highlight) + 1, 0) if highlight and "\n" not in highlight else end
    description = readable(str(error.get("description") or fallback))
    near = f" (at {highlight!r})" if highlight else ""
    return Problem(rendered.location(start), f"the SQL does not parse as {dialect}: {description}{near}",
                   f"SQL the {dialect} parser accepts",
                   "fix the SQL here (`dop compile DAG TASK` shows it as rendered)")


def _token_error(rendered: Rendered, dialect: str, exc: Exception) -> Problem:
    start = _unclosed_quote(rendered.text)
    if start is None:
        start = min(getattr(exc, "end", None) or 0, max(len(rendered.text) - 1, 0))
        message = f"the SQL cannot be read as {dialect}: a string, quoted name or comment is malformed"
    else:
        message = f"the SQL cannot be read as {dialect}: {rendered.text[start]} starts a quoted text that never ends"
    return Problem(rendered.location(start), message, "every quote closed",
                   "close the quote (`dop compile DAG TASK` shows the SQL as rendered)")


def _offset(text: str, line: int, col: int) -> int:
    lines = text.split("\n")
    line = min(max(line, 1), len(lines))
    return min(sum(len(x) + 1 for x in lines[:line - 1]) + max(col, 1) - 1, max(len(text) - 1, 0))


def _unclosed_quote(text: str) -> int | None:
    """The offset of a quote (', ", `, or a triple quote) that is never closed, skipping comments."""
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i) or text.startswith("#", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif text[i] in "'\"`":
            quote = text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                return i
            i = j + len(quote)
        else:
            i += 1
    return None


_TOKEN = re.compile(r"<Token token_type: [^,]+, text: (.*?), line: \d+, col: \d+, start: \d+, end: \d+, "
                    r"comments: \[.*?\]>")
_CLASS = re.compile(r"<class '(?:[\w.]+\.)?(\w+)'>")


def readable(message: str) -> str:
    """A parser message without Python reprs or terminal escape codes: ``<Token ... text: WHERE ...>``
    becomes ``'WHERE'``, ``<class '...And'>`` becomes ``AND``."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", message)
    message = _TOKEN.sub(lambda m: repr(m.group(1)), message)
    return _CLASS.sub(lambda m: m.group(1).upper(), message)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[Any, str]] = set()
    out = []
    for p in problems:
        if (p.location, p.message) not in seen:
            seen.add((p.location, p.message))
            out.append(p)
    return out


def located_parse_error(rendered: Rendered, dialect: str, task: Any) -> Iterator[Problem]:
    """The syntax errors among :func:`parse_problems` (``dop compile`` shows SQL that parses)."""
    return (p for p in parse_problems(rendered, dialect, task) if p.severity == "error")
