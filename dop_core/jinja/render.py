"""Render a task's SQL template the way Airflow does, with every error placed in the SQL file.

A Jinja syntax error, an undefined name, a sandbox violation, a render over its limits, a missing
include and a file that is not UTF-8 all become a :class:`~dop_core.errors.ConfigError` whose problem
names the SQL file (or the included file) and the line; :class:`Rendered` maps any offset of the
rendered text back to the line and column of the template that produced it, so that a SQL syntax
error in the rendered text is reported where it is written.
"""

from __future__ import annotations

import bisect
import datetime as dt
import pathlib
import re
import types
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from dop_core.errors import ConfigError, Location, Problem, did_you_mean

DOCS = "docs/tasks.md#templating"
#: Airflow's default extension, and the limits on rendering (dop_core.jinja.limits)
JINJA_ENVIRONMENT = {"extensions": ["jinja2.ext.do", "dop_core.jinja.limits.RenderLimits"]}
#: (full refresh, is_incremental()) of the renders checked: an incremental run and a full refresh
CHECKED_RUNS = ((False, True), (True, False))


@attrs.frozen
class Rendered:
    """A rendered template: its text, its source, and where each piece of the text came from."""

    text: str
    source: str
    path: str
    #: (offset in ``text``, line of ``source``) where each rendered piece starts
    pieces: list[tuple[int, int]] = attrs.field(factory=list)

    def location(self, offset: int) -> Location:
        """Where in the template the rendered character at ``offset`` was written."""
        starts = [start for start, _ in self.pieces]
        k = bisect.bisect_right(starts, offset) - 1
        if k < 0:
            return _position(self.path, self.source, min(offset, len(self.source)))
        start, line = self.pieces[k]
        end = self.pieces[k + 1][0] if k + 1 < len(self.pieces) else len(self.text)
        piece = self.text[start:end]
        found = _find_literal(self.source, piece, line)
        if found is not None:  # text copied from the template: exact position
            return _position(self.path, self.source, found + offset - start)
        return Location(self.path, line, _column_of_tag(_line_text(self.source, line)))


def _line_start(source: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        nxt = source.find("\n", pos)
        if nxt < 0:
            return len(source)
        pos = nxt + 1
    return pos


def _line_text(source: str, line: int) -> str:
    start = _line_start(source, line)
    end = source.find("\n", start)
    return source[start:end if end >= 0 else len(source)]


def _find_literal(source: str, piece: str, line: int) -> int | None:
    """Where ``piece`` (rendered text) is written verbatim in ``source``, starting on ``line`` or the next
    few lines (Jinja knows a piece's line, not its column)."""
    if not piece.strip():
        return None
    at = source.find(piece, _line_start(source, line))
    if at < 0 or source.count("\n", 0, at) + 1 > line + 3:
        return None
    return at


def _position(path: str, source: str, offset: int) -> Location:
    line = source.count("\n", 0, offset) + 1
    return Location(path, line, offset - (source.rfind("\n", 0, offset) + 1) + 1)


def _column_of_tag(text: str, name: str | None = None) -> int:
    """The column of ``name`` on a template line, else of its first ``{{``/``{%``, else 1."""
    if name:
        for m in re.finditer(rf"(?<![\w.]){re.escape(name)}(?!\w)|(?<=\.){re.escape(name)}(?!\w)"
                             rf"|\[\s*['\"]{re.escape(name)}['\"]\s*\]", text):
            return m.start() + 1
    tags = [i for i in (text.find("{{"), text.find("{%")) if i >= 0]
    return min(tags) + 1 if tags else 1


# -- rendering ---------------------------------------------------------------------------------------

def render_file(env: Any, name: str, context: Mapping[str, Any], path: str) -> Rendered:
    """Render template ``name`` (a path the environment's loader finds, e.g. ``sql/x.sql``) with
    ``context``; raise ConfigError located in ``path`` (the file's path as shown to the user)."""
    source: str | None = None
    try:
        source = env.loader.get_source(env, name)[0]
        return render_source(env, source, context, path)
    except ConfigError:
        raise
    except Exception as exc:
        raise template_error(exc, path, source) from None


#: each environment's templates compiled from text (``dop validate`` renders every template for two runs)
_COMPILED: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _compiled(env: Any, source: str) -> Any:
    """``env.from_string(source)``, compiled once per environment: compiling is most of a render."""
    known = _COMPILED.setdefault(env, {})
    if source not in known:
        known[source] = env.from_string(source)
    return known[source]


def render_source(env: Any, source: str, context: Mapping[str, Any], path: str) -> Rendered:
    """Render template text ``source`` (the content of ``path``) as Airflow does; see :func:`render_file`."""
    values: dict[str, Any] = {}
    try:
        template = _compiled(env, source)
        values = dict(context)
        values.update((k, v) for k, v in template.globals.items() if k not in values)
        run = template.root_render_func(env.context_class(env, values, template.name, template.blocks))
        parts: list[str] = []
        pieces: list[tuple[int, int]] = []
        size = 0
        for part in run:
            # `run` is paused at the `yield` of this part: its line in the generated code gives the template's
            pieces.append((size, template.get_corresponding_lineno(run.gi_frame.f_lineno)))
            parts.append(part)
            size += len(part)
    except Exception as exc:
        raise template_error(exc, path, source, values) from None
    return Rendered("".join(parts), source, path, pieces)


def template_error(exc: BaseException, path: str, source: str | None = None,
                   names: Iterable[str] = ()) -> ConfigError:
    """``exc``, raised while loading or rendering the template at ``path``, as a located ConfigError;
    ``names`` (the context's) feed a did-you-mean for an undefined name."""
    return ConfigError([template_problem(exc, path, source, names)])


def template_problem(exc: BaseException, path: str, source: str | None = None,
                     names: Iterable[str] = ()) -> Problem:
    import jinja2

    from dop_core.jinja.limits import TIME_LIMIT_VARIABLE, RenderLimitError

    if isinstance(exc, UnicodeDecodeError):
        raw = exc.object if isinstance(exc.object, bytes) else b""
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem(Location(path, line, column), f"the SQL file is not UTF-8 text (byte 0x{raw[exc.start]:02x} "
                       "cannot be decoded)" if raw else "the SQL file is not UTF-8 text",
                       "a UTF-8 encoded file", "save the file as UTF-8")
    if isinstance(exc, jinja2.TemplateSyntaxError):
        file, line = _shown_file(exc.filename, path), exc.lineno or 1
        column = _column_of_tag(_read_line(file, path, source, line))
        if file == path and source is not None and "Unexpected end of template" in (exc.message or ""):
            line, column = _unclosed_block(source) or (line, column)  # where the block opens, not the end
        return Problem(Location(file, line, column), f"Jinja syntax error: {exc.message}",
                       "a well-formed Jinja template: {{ expression }}, {% tag %} ... {% endtag %}",
                       "check the tags on this line (`dop compile DAG TASK` shows the rendered SQL)")
    file, line = _template_frame(exc.__traceback__, path)
    text = _read_line(file, path, source, line)
    if isinstance(exc, jinja2.UndefinedError):
        name = _undefined_name(exc.message or "")
        hint = did_you_mean(name, names) if name and "is undefined" in (exc.message or "") else None
        return Problem(Location(file, line, _column_of_tag(text, name)),
                       f"undefined name in the template: {_undefined_what(exc.message or '', text)}",
                       "a name the template context has",
                       (f"{hint}; " if hint else "") + f"the names are listed in {DOCS} (a DAG param is "
                       "params.<key>, the task's config params.task.<key>)")
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return Problem(Location(file, line, _column_of_tag(text)), f"the template sandbox refuses this: {exc}",
                       "templates that read values, not Python internals (names starting with _)",
                       "remove the access to Python internals")
    if isinstance(exc, RenderLimitError):
        return Problem(Location(file, line, _column_of_tag(text)), str(exc), "a template that renders quickly",
                       f"make the loop or the value smaller (the time limit is {TIME_LIMIT_VARIABLE}, in seconds)")
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(Location(file, line, _column_of_tag(text, str(exc.name))), f"template {exc.name!r} not found",
                       "a path relative to the DAG folder, e.g. 'sql/common.sql'", "check the file name")
    if isinstance(exc, RecursionError):
        return Problem(Location(file, line, _column_of_tag(text)), "the template calls itself without end",
                       "a macro whose recursion stops", "add a condition that ends the recursion")
    return Problem(Location(file, line, _column_of_tag(text)), f"rendering the template failed: "
                   f"{type(exc).__name__}: {exc}", "a template that renders", "check the expression on this line")


_BLOCK_TAG = re.compile(r"\{%[-+]?\s*(end)?(\w+)")
_BLOCKS = {"if", "for", "macro", "call", "filter", "block", "with", "raw", "autoescape", "trans"}


def _unclosed_block(source: str) -> tuple[int, int] | None:
    """Line and column of the innermost block tag of ``source`` that is never closed (``{% if %}``...)."""
    stack: list[tuple[str, int]] = []
    for m in _BLOCK_TAG.finditer(source):
        end, tag = m.group(1), m.group(2)
        if end and stack and stack[-1][0] == tag:
            stack.pop()
        elif not end and (tag in _BLOCKS or (tag == "set" and "=" not in source[m.end():source.find("%}", m.end())])):
            stack.append((tag, m.start()))
    if not stack:
        return None
    offset = stack[-1][1]
    return source.count("\n", 0, offset) + 1, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _shown_file(filename: str | None, path: str) -> str:
    return filename if filename and not filename.startswith("<") else path


def _template_frame(tb: types.TracebackType | None, path: str) -> tuple[str, int]:
    """The file and line of the innermost template frame of a traceback (an include's own file)."""
    found = (path, 1)
    while tb is not None:
        globals_ = tb.tb_frame.f_globals
        template = globals_.get("__jinja_template__")
        if template is not None:  # generated code: map its line to the template's
            found = (_shown_file(template.filename, path), template.get_corresponding_lineno(tb.tb_lineno))
        elif "__jinja_exception__" in globals_:  # a frame Jinja already rewrote to the template's line
            found = (_shown_file(tb.tb_frame.f_code.co_filename, path), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _read_line(file: str, path: str, source: str | None, line: int) -> str:
    if file == path and source is not None:
        return _line_text(source, line)
    try:
        return _line_text(pathlib.Path(file).read_text(encoding="utf-8", errors="replace"), line)
    except OSError:
        return ""


def _undefined_what(message: str, text: str) -> str:
    """Jinja's "'dict object' has no attribute 'x'" as "params.x (params has no 'x')" when the line shows
    the expression."""
    m = re.search(r"has no attribute '([^']+)'", message)
    if m:
        name = re.escape(m.group(1))
        found = re.search(rf"([A-Za-z_][\w.]*)(?:\.{name}(?!\w)|\[\s*['\"]{name}['\"]\s*\])", text)
        if found:
            return f"{found.group(0)} ({found.group(1)} has no {m.group(1)!r})"
    return message


def _undefined_name(message: str) -> str | None:
    m = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", message)
    return (m.group(1) or m.group(2)) if m else None


# -- the context of a render outside Airflow (validate, compile, the checks before `dop run`) --------

class _Unknown:
    """A value known only during a run in Airflow (a Variable, a connection, an XCom...): renders as its own
    name; any attribute, key or call of it is another such value, except the ``known`` ones."""

    def __init__(self, name: str, **known: Any):
        self._name = name
        self._known = known

    def __getattr__(self, attr: str) -> Any:
        if attr in self._known:
            return self._known[attr]
        if attr.startswith(("_", "jinja_")) or attr in ("unsafe_callable", "alters_data"):
            raise AttributeError(attr)  # what Python and Jinja's sandbox ask of any object
        return _Unknown(f"{self._name}.{attr}")

    def __getitem__(self, key: Any) -> _Unknown:
        return _Unknown(f"{self._name}.{key}")

    def __call__(self, *args: Any, **kwargs: Any) -> _Unknown:
        return _Unknown(f"{self._name}(...)")

    def get(self, key: Any, default: Any = None) -> Any:
        return default if default is not None else _Unknown(f"{self._name}.{key}")

    def __str__(self) -> str:
        return self._name


#: the names of Airflow's task context (``airflow.sdk.definitions.context.Context``), so that rendering
#: outside Airflow (validate, compile, ``dop test``) imports no Airflow; a test compares them with Airflow's
AIRFLOW_CONTEXT_NAMES = (
    "asset_state_store", "conn", "dag", "dag_run", "data_interval_end", "data_interval_start", "ds", "ds_nodash",
    "exception", "expanded_ti_count", "inlet_events", "inlets", "logical_date", "macros", "map_index_template",
    "outlet_events", "outlets", "params", "partition_date", "partition_key", "prev_data_interval_end_success",
    "prev_data_interval_start_success", "prev_end_date_success", "prev_start_date_success", "reason", "run_id",
    "task", "task_instance", "task_instance_key_str", "task_reschedule_count", "task_state_store", "templates_dict",
    "test_mode", "ti", "triggering_asset_events", "try_number", "ts", "ts_nodash", "ts_nodash_with_tz", "var")


class AirflowMacros:
    """Airflow's ``macros`` module (``macros.ds_add``...), imported when a template first uses it: importing
    Airflow takes seconds, and most templates never need it."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        from airflow.sdk.execution_time import macros

        return getattr(macros, name)


def template_context(dag: Any, task: Any, date: dt.date, full_refresh: bool) -> dict[str, Any]:
    """Airflow's task context for a manual run at ``date``, as far as it is known without Airflow's
    database (Variables, connections, XComs... render as their names), plus the original DOP's names.

    ``dag`` and ``task`` need only what templates read of them (``dag_id``, ``params``, ``schedule``,
    ``timezone``; ``task_id`` and DOP's task attributes): ``dop test`` renders without building a DAG."""
    import pendulum

    from dop_core.jinja.original import with_original_names

    logical = pendulum.datetime(date.year, date.month, date.day, tz="UTC")
    params = {k: getattr(v, "value", v) for k, v in dag.params.items()}
    params["full_refresh"] = full_refresh
    run_id = f"manual__{logical.isoformat()}"
    context: dict[str, Any] = {name: _Unknown(name) for name in AIRFLOW_CONTEXT_NAMES}
    context.update({
        "ds": logical.to_date_string(), "ds_nodash": logical.format("YYYYMMDD"), "ts": logical.isoformat(),
        "ts_nodash": logical.format("YYYYMMDDTHHmmss"), "ts_nodash_with_tz": logical.format("YYYYMMDDTHHmmssZ"),
        "logical_date": logical, "data_interval_start": logical, "data_interval_end": logical,
        "params": params, "macros": AirflowMacros(), "dag": dag, "task": task, "run_id": run_id,
        "dag_run": _Unknown("dag_run", dag_id=dag.dag_id, run_id=run_id, run_type="manual", logical_date=logical,
                            data_interval_start=logical, data_interval_end=logical,
                            conf={"full_refresh": True} if full_refresh else {}),
        "var": {"value": _Unknown("var.value"), "json": _Unknown("var.json")},
        "task_instance_key_str": f"{dag.dag_id}__{task.task_id}__{logical.format('YYYYMMDD')}",
    })
    return with_original_names(context, task)


def sql_tasks(dag: Any) -> Iterator[Any]:
    """The tasks of ``dag`` whose ``sql`` is a template file (native SQL tasks, SQL triggers, plugins')."""
    for task in dag.tasks:
        if getattr(task, "template_ext", None) == (".sql",) and isinstance(getattr(task, "sql", None), str):
            yield task


def sql_file_path(env: Any, name: str) -> str:
    """The path of template ``name`` on disk (where the loader finds it), else ``name`` itself."""
    for folder in getattr(env.loader, "searchpath", ()):
        candidate = pathlib.Path(folder) / name
        if candidate.is_file():
            return str(candidate)
    return name


def render_task(dag: Any, task: Any, date: dt.date, full_refresh: bool, incremental: bool,
                env: Any = None) -> Rendered:
    """``task``'s SQL template rendered for a manual run at ``date``; ConfigError located in its SQL file.
    ``env``: the DAG's template environment, when the caller renders many tasks."""
    env = env or dag.get_template_env()
    context = template_context(dag, task, date, full_refresh)
    context["is_incremental"] = lambda: incremental
    if task.sql.endswith(".sql"):
        return render_file(env, task.sql, context, sql_file_path(env, task.sql))
    return render_source(env, task.sql, context, f"{dag.dag_id}.{task.task_id}")  # a plugin's inline SQL
