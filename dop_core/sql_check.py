"""What ``dop validate`` checks in the SQL of a built DAG, so that a run does not find it first.

Every task's SQL template is rendered for a sample date, as an incremental run and as a full refresh
(a template error is an error at its line of the SQL file); the SQL of DOP's native tasks is then
parsed in the project's dialect (a syntax error is an error at the line and column of the SQL file
where the offending text is written), and a native task whose SQL has no statement (an empty file)
gets a warning (an error under ``dop validate --strict``): its run would fail.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from typing import Any

from dop_core.errors import ConfigError, Location, Problem
from dop_core.templates import Rendered, sql_tasks

#: (full refresh, is_incremental()) of the renders checked: an incremental run and a full refresh
CHECKED_RUNS = ((False, True), (True, False))


def check_dag_sql(dag: Any, dialect: str, date: dt.date, parse: bool = True) -> list[Problem]:
    """The problems of ``dag``'s SQL templates (rendered for ``date``; parsed too with ``parse``)."""
    from dop_core.compile import is_native, render_task

    problems: list[Problem] = []
    env = dag.get_template_env()
    for task in sql_tasks(dag):
        if not task.sql:
            continue
        for full_refresh, incremental in CHECKED_RUNS:
            try:
                rendered = render_task(dag, task, date, full_refresh, incremental, env)
            except ConfigError as exc:
                problems += exc.problems
                break  # the other render fails the same way, as a rule
            if parse and is_native(task):
                problems += parse_problems(rendered, dialect, task)
    return _unique(problems)


def parse_problems(rendered: Rendered, dialect: str, task: Any) -> list[Problem]:
    """A syntax error in ``rendered`` (located in its template), or a warning when it has no statement. A
    procedure's body and an invocation's SQL are parsed as a script (BigQuery scripting in a BigQuery
    project), with the rules BigQuery checks before running one."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    from dop_core.check import SCRIPT_KINDS

    if getattr(task, "kind", None) in SCRIPT_KINDS and rendered.text.strip():
        return script_problems(rendered, dialect, task)

    quiet = logging.getLogger("sqlglot")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "falling back to parsing as a Command" is not the user's concern here
    try:
        statements = [s for s in sqlglot.parse(rendered.text, read=dialect) if s is not None]
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
    from dop_core.check import SCRIPT_EXPECTED
    from dop_core.engines.sql import SqlError
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
