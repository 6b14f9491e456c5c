"""Validating and building an ``airflow_operator`` task: the operator class at the dotted path ``kind.target``
(Airflow 1 and 2 paths of operators that moved are followed or explained), with ``options.arguments``."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from typing import Any

from dop_core.config.durations import parse_duration
from dop_core.contract.contexts import TaskBuild, ValidationContext
from dop_core.contract.variable_params import with_variable_params
from dop_core.errors import Problem


def import_operator(path: str) -> type:
    """The operator class at dotted ``path`` (Airflow 1/2 paths of drop-in moved operators are followed)."""
    from importlib import import_module

    from dop_core.builtin.airflow_operator.moved import followed

    path = followed(path)
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ImportError(f"{path!r} is not a dotted path such as "
                          "airflow.providers.standard.operators.bash.BashOperator")
    module = import_module(module_name)
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no {class_name!r}") from None


def _known_operators() -> tuple[Any, str, dict[str, Any], dict[str, Any]]:
    """What importing and building operators taught before: for each operator path found importable, the Python
    file of its module, that file's time, and the calls known to build (:func:`_call_key`). Kept in DOP's cache
    under the key of what is installed (as the entry points are), so that ``dop validate`` does not import
    Airflow and the operators again to learn what it learnt last time."""
    from dop_core.util.cachedir import read_keyed

    path, key = _operators_cache()
    try:  # read again only when the file changed: validating a project asks for every airflow_operator task
        stat = os.stat(path)
        stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except (OSError, TypeError):
        stamp = None
    if stamp is None or _READ.get(path, (None,))[0] != stamp:
        found, known = read_keyed(path, key)
        _READ[path] = (stamp, found if isinstance(found, dict) else {}, known)
    _, found, known = _READ[path]
    return path, key, found, known


#: the operators cache file as last read by this process: (its time and size, what it holds under the key, all)
_READ: dict[Any, tuple[Any, dict[str, Any], dict[str, Any]]] = {}


@functools.cache  # the key as this process started: importing Airflow adds its own folders to sys.path
def _operators_cache() -> tuple[Any, str]:
    from dop_core.util.cachedir import installed_cache

    return installed_cache("operators")


#: how many calls known to build are kept per operator path
KEPT_CALLS = 64


def _known_operator(path: str) -> list[Any] | None:
    """``[module file, its time, [calls known to build]]`` of ``path`` when its module file is unchanged (an
    operator of the project's own code is edited in place), else None."""
    entry = _known_operators()[2].get(path)
    if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str) and isinstance(entry[2], list)):
        return None
    try:
        return entry if os.stat(entry[0]).st_mtime_ns == entry[1] else None
    except OSError:
        return None


def _remember(path: str, source: str, stamp: int, calls: list[str]) -> None:
    from dop_core.util.cachedir import write_keyed

    where, key, found, known = _known_operators()
    write_keyed(where, key, {**found, path: [source, stamp, calls[-KEPT_CALLS:]]}, known)
    _READ.pop(where, None)  # read it back next time, whatever its time


def _learn_operator(path: str, cls: type) -> list[Any] | None:
    """Note that ``path`` imports as operator ``cls`` (nothing when its module has no file)."""
    import sys

    source = getattr(sys.modules.get(cls.__module__), "__file__", None)
    if not source:
        return None
    try:
        stamp = os.stat(source).st_mtime_ns
    except OSError:
        return None
    _remember(path, source, stamp, [])
    return [source, stamp, []]


def _call_key(path: str, arguments: dict[str, Any], kwargs: dict[str, Any]) -> str:
    """What decides whether building the operator at ``path`` succeeds: its arguments, the config's Airflow
    arguments (but the task's id and docs) and Airflow's settings in the environment."""
    import hashlib
    import json

    airflow_env = sorted((k, v) for k, v in os.environ.items() if k.startswith("AIRFLOW"))
    own = {k: v for k, v in kwargs.items() if k not in ("task_id", "doc_md")}
    text = json.dumps([path, arguments, own, airflow_env], sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def inputs(ctx: ValidationContext) -> list[str]:
    """What validating the task read beyond its DAG folder: the Python file of its operator's module."""
    assert ctx.task is not None
    entry = _known_operator(ctx.task.kind.target)
    return [entry[0]] if entry is not None else []


def validate(ctx: ValidationContext) -> Iterator[Problem]:
    from dop_core.builtin.airflow_operator.moved import MOVED_OPERATORS

    assert ctx.task is not None
    path = ctx.task.kind.target
    moved = MOVED_OPERATORS.get(path)
    if moved is not None and not moved.drop_in:
        yield ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1 operator; on Airflow 3 its successor is "
                          f"{moved.path} (from {moved.distribution}), which takes other arguments",
                          "the dotted path of an Airflow 3 operator class",
                          f"write `target: {moved.path}` (pip install '{moved.distribution}') and rewrite "
                          "options.arguments for it")
        return
    entry = _known_operator(path)
    if entry is None:
        try:
            cls = import_operator(path)
        except Exception as exc:
            yield _import_problem(ctx, path, exc)
            return
        from airflow.sdk import BaseOperator

        if not (isinstance(cls, type) and issubclass(cls, BaseOperator)):
            yield ctx.problem(("kind", "target"), f"{path!r} is not an Airflow operator (a BaseOperator subclass)",
                              "the dotted path of a BaseOperator subclass")
            return
        entry = _learn_operator(path, cls)
    if moved is not None:
        yield ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1/2 path; DOP builds {moved.path} instead",
                          None, f"write `target: {moved.path}` (from {moved.distribution})", severity="warning")
    if "task_id" in ctx.options.arguments:
        yield ctx.problem(("options", "arguments", "task_id"), "task_id is set by DOP from the identifier",
                          None, "remove it")
        return
    bounded = list(_task_level_arguments(ctx))
    yield from bounded
    if not bounded and ctx.thorough:  # dop validate: what building the operator would say (the DAG may not be built)
        yield from _build_problems(ctx, path, entry)


#: BaseOperator's arguments a task also takes as keys of its own, held to the same bounds in options.arguments
TASK_LEVEL_ARGUMENTS = ("retries", "retry_delay", "execution_timeout", "pool", "owner")


def _task_level_arguments(ctx: ValidationContext) -> Iterator[Problem]:
    """BaseOperator's arguments that are also task keys (retries, pool...), written in options.arguments as the
    original DOP allowed: each within the bounds of its task key (``retries: -1`` there is the same mistake), and
    not on the task as well (the operator would get it twice)."""
    import attrs

    from dop_core.config.models import TaskConfig
    from dop_core.config.structure import in_yaml_terms

    assert ctx.task is not None
    fields = attrs.fields_dict(TaskConfig)
    for name in TASK_LEVEL_ARGUMENTS:
        if name not in ctx.options.arguments:
            continue
        at = ("options", "arguments", name)
        if getattr(ctx.task, name) is not None:
            yield ctx.problem(at, f"{name} is set both on the task and in options.arguments",
                              f"{name} written once", f"keep the task's `{name}:` and remove it from options.arguments")
            continue
        meta = fields[name].metadata
        value = ctx.options.arguments[name]
        try:
            meta["parse"](value)
        except (ValueError, TypeError) as exc:
            yield ctx.problem(at, in_yaml_terms(str(exc), value), meta["expected"], meta["fix"])


def _build_problems(ctx: ValidationContext, path: str, entry: list[Any] | None) -> Iterator[Problem]:
    """The operator built with the task's arguments, in a DAG of its own (a call known to build is not made
    again): a problem at the task's options when it refuses them."""
    from dop_core.contract.contexts import operator_kwargs

    assert ctx.task is not None
    kwargs = operator_kwargs(ctx.task)
    key = _call_key(path, ctx.options.arguments, kwargs)
    if entry is not None and key in entry[2]:
        return
    try:
        cls = import_operator(path)
        from airflow.sdk import DAG

        with DAG(ctx.dag.dag_id, schedule=None):
            make_operator(cls, ctx.options.arguments, kwargs)
    except Exception as exc:
        where = ("options",) if ctx.task.options else ()
        yield ctx.problem(where, f"task {ctx.task.identifier!r} cannot be built: {type(exc).__name__}: {exc}",
                          f"options that {ctx.task.kind.action}/{path} accepts",
                          "check the option named in the message")
        return
    if entry is not None:
        _remember(path, entry[0], entry[1], [*(c for c in entry[2] if c != key), key])


def _import_problem(ctx: ValidationContext, path: str, exc: Exception) -> Problem:
    """Why ``path`` cannot be imported, and the class (and distribution) to write instead."""
    from dop_core.builtin.airflow_operator.moved import MOVED_OPERATORS, PROVIDERS_INDEX, is_airflow_1_path

    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    moved = MOVED_OPERATORS.get(path)
    if moved is not None:
        return ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1/2 path; on Airflow 3 this operator is "
                           f"{moved.path}, which cannot be imported here ({reason})",
                           "the dotted path of an importable Airflow operator class",
                           f"pip install '{moved.distribution}' and write `target: {moved.path}`")
    if is_airflow_1_path(path):
        return ctx.problem(("kind", "target"), f"{path!r} is an Airflow 1 path: Airflow 3 has no airflow.contrib "
                           "and no airflow.operators.*_operator modules",
                           "the dotted path of an Airflow 3 operator class (airflow.providers...)",
                           f"find its provider's class in {PROVIDERS_INDEX}, install that provider and write "
                           "`target: airflow.providers.<provider>.<module>.<Class>`")
    return ctx.problem(("kind", "target"), f"cannot import operator {path!r}: {reason}",
                       "the dotted path of an Airflow operator class",
                       "e.g. airflow.providers.standard.operators.bash.BashOperator")


@functools.cache  # inspect.signature over the MRO was a tenth of building an airflow_operator task
def _timedelta_params(cls: type) -> set[str]:
    import inspect

    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        names |= {p.name for p in params if "timedelta" in str(p.annotation)}
    return names


def make_operator(cls: type, arguments: dict[str, Any], kwargs: dict[str, Any]) -> Any:
    """Operator ``cls`` with the task's ``arguments`` (durations as timedeltas where it takes one) and DOP's
    Airflow ``kwargs``."""
    arguments = dict(arguments)
    for name in _timedelta_params(cls) & set(arguments):
        if isinstance(arguments[name], str | dict | int | float):
            arguments[name] = parse_duration(arguments[name])
    return with_variable_params(cls)(**arguments, **kwargs)


def build(task: TaskBuild) -> Any:
    return make_operator(import_operator(task.task.kind.target), task.options.arguments, task.operator_kwargs())
