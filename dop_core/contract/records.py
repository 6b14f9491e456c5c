"""The typed records plugins return from the registration hooks.

Each is a frozen attrs class with a unique name. The core fills in ``provider`` (the plugin that
registered it) when it collects them, reports a second record of the same name as an error naming both
providers, and validates a task's or trigger's ``options`` against the record's attrs ``options`` model.

Every callable a record names (``build``, ``validate``, ``run``, ``inputs``, ``export``, ``connect``,
``lock``) and its ``options`` model may be given as the object itself or, better, as its import string
(``"my_plugin.tasks:build"``): Airflow re-parses DAG files constantly, and a record that names its
functions by string costs a parse only the import of the module that registers it. DOP imports what a
string names when it is first used (:meth:`Record.load`); a plugin never writes lazy-import wrappers.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

import attrs

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator

    from dop_core.config.models import Target
    from dop_core.contract.contexts import (
        RunContext,
        SettingsContext,
        SqlTestRun,
        TaskBuild,
        TriggerBuild,
        ValidationContext,
    )
    from dop_core.contract.engine import Engine
    from dop_core.errors import Problem
    from dop_core.extras import Extra

#: a callable, or its import string ``"package.module:function"``
Ref = Callable[..., Any] | str
#: what a validation reads beyond the DAG's folder and dop_project.yml: project-relative paths, or a
#: callable (or its import string) given the :class:`~dop_core.contract.contexts.ValidationContext`
Inputs = tuple[str, ...] | Ref


@attrs.frozen
class NoOptions:
    """The options model of a task type or trigger that takes no options."""


_IMPORT_STRING = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def _ref(optional: bool) -> Callable[[Any, attrs.Attribute, Any], None]:
    def check(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
        if (value is None and optional) or callable(value) or (isinstance(value, str)
                                                              and _IMPORT_STRING.fullmatch(value)):
            return
        raise TypeError(f"{attribute.name} must be callable or its import string 'package.module:function', "
                        f"got {value!r}")
    return check


def _inputs(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return
    _ref(True)(_inst, attribute, value)


def _flag_or_ref(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, bool):
        _ref(False)(_inst, attribute, value)


def _options_model(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, str) and _IMPORT_STRING.fullmatch(value):
        return
    if not (isinstance(value, type) and attrs.has(value)):
        raise TypeError(f"{attribute.name} must be an attrs class or its import string "
                        f"'package.module:Class', got {value!r}")


def resolve(ref: Any) -> Any:
    """What ``ref`` names: ``ref`` itself, or the object at its import string ``"package.module:name"``."""
    return _import(ref) if isinstance(ref, str) else ref


@functools.cache
def _import(ref: str) -> Any:
    module, _, qualname = ref.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def load_model(ref: type | str) -> type:
    """The attrs class ``ref`` names: the class itself, or an import string ``"package.module:Class"``."""
    found = resolve(ref)
    if not (isinstance(found, type) and attrs.has(found)):
        raise TypeError(f"{ref} is {found!r}, not an attrs class")
    return found


def _name(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{attribute.name} must be a non-empty string, got {value!r}")


class Record:
    """What the records share: their options model and the callables they name, imported on first use."""

    __slots__ = ()
    options: type | str
    provider: str

    @property
    def label(self) -> str:
        return str(getattr(self, "name", ""))

    @property
    def options_model(self) -> type:
        """The attrs options model (imported on first use when ``options`` is an import string)."""
        return self._loaded("options", load_model)

    def load(self, field: str) -> Any:
        """The callable the record's ``field`` names (None when unset), imported on first use; a
        :class:`~dop_core.errors.PluginError` naming the plugin when it cannot be imported."""
        if getattr(self, field) is None:
            return None
        return self._loaded(field, resolve)

    def _loaded(self, field: str, loader: Callable[[Any], Any]) -> Any:
        ref = getattr(self, field)
        try:
            found = loader(ref)
        except Exception as exc:
            from dop_core.errors import PluginError

            what = "options model" if field == "options" else field
            raise PluginError(f"{self.provider or 'a plugin'}: the {what} {ref!r} of {self.label!r} cannot be "
                              f"loaded: {type(exc).__name__}: {exc}") from exc
        if field != "options" and not callable(found):
            from dop_core.errors import PluginError

            raise PluginError(f"{self.provider or 'a plugin'}: the {field} {ref!r} of {self.label!r} is "
                              f"{found!r}, not callable")
        return found

    def covers_build(self, options: Any, settings: Any) -> bool:
        """Whether ``dop validate`` may check a task or trigger of this kind (with these typed options and plugin
        settings) without building it (see :attr:`TaskType.validate_covers_build`)."""
        covers = getattr(self, "validate_covers_build", False)
        if getattr(self, "run", None) is not None or covers is True:
            return True
        if covers is False:
            return False
        return bool(self.load("validate_covers_build")(options, settings))

    def input_paths(self, ctx: ValidationContext) -> list[str] | None:
        """The files and folders validating ``ctx``'s task or trigger read beyond its DAG folder and
        dop_project.yml (absolute), or None when the record does not say (it is then never cached)."""
        inputs = getattr(self, "inputs", None)
        if inputs is None:
            return None
        if isinstance(inputs, tuple):
            found: Iterable[str | os.PathLike[str]] | None = inputs
        else:
            found = self.load("inputs")(ctx)
        if found is None:
            return None
        return [os.path.join(ctx.project.root, os.fspath(p)) for p in found]


#: how DOP reads a task's SQL file (see :attr:`TaskType.sql`)
SqlForm = Literal["query", "script", "expression"]


@attrs.frozen
class TaskType(Record):
    """A kind of task: ``kind: {action: <action>, target: <target>}`` in a DAG's config.

    A kind either builds its own operator or runs native SQL:

    - ``build(task: TaskBuild) -> BaseOperator`` turns one validated task into an Airflow operator; it
      runs at DAG-parse time, so it imports nothing heavy (operators import their clients in ``execute``);
    - ``run(ctx: RunContext) -> outcome`` makes it a native SQL kind: DOP builds its SQL task operator,
      which renders the SQL file, connects to the target's engine and calls ``run`` inside the task; what
      ``run`` returns is logged and pushed to XCom as text.

    ``validate(ctx: ValidationContext)`` adds checks beyond the options model (files that must exist,
    cross-field rules) and yields :class:`~dop_core.errors.Problem` records.
    ``sql_file`` says whether the task needs ``sql/<identifier>.sql`` ("required"), may have one
    ("optional") or never reads one ("none"). ``sql`` says how DOP reads it, so that ``dop validate`` and
    ``dop compile`` check and show it: ``query`` (exactly one read-only query, translated to the engine's
    dialect), ``script`` (statements run in order), ``expression`` (a SQL expression, a function's body);
    None when the SQL is the kind's own business.
    ``incremental``: ``is_incremental()`` is true only once the task's relation exists (a table that later
    runs update). ``writes``: the task writes its relation (``[database.]schema.identifier``), which
    becomes an Airflow asset other DAGs may be scheduled on. ``function``: the task creates the SQL function
    ``[database.]schema.identifier``, which the SQL calling it reads (lineage, ``dependencies: auto``).
    ``inputs``: the files and folders its validation reads beyond the DAG's folder and dop_project.yml
    (project-relative paths, or a function of the ValidationContext returning paths, or None if it cannot
    say): DAGs whose kinds all declare their inputs are served from the parse cache until one changes.
    ``test(run: SqlTestRun) -> (columns, rows)``: how ``dop test`` runs the kind's SQL on an in-memory DuckDB
    and the rows it compares with a test's ``expect`` (None: its tasks cannot be tested; ``existing`` rows
    are accepted for ``incremental`` kinds).
    ``validate_covers_build``: True when ``validate``, under ``dop validate`` (``ctx.thorough``), finds every
    problem ``build`` would raise for a task, or a function ``(options, settings) -> bool`` of the task's
    typed options and the plugin's settings saying so for one task: ``dop validate`` then checks a DAG whose
    kinds and triggers are all covered without building it, so without importing Airflow (a native SQL kind,
    built by DOP from validated values, always is). The task's ``sql/<identifier>.sql`` is rendered and
    checked as a built task's SQL template would be.
    """

    action: str = attrs.field(validator=_name)
    target: str = attrs.field(validator=_name)
    build: Callable[[TaskBuild], BaseOperator] | str | None = attrs.field(default=None, validator=_ref(True))
    run: Callable[[RunContext], Any] | str | None = attrs.field(default=None, validator=_ref(True))
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    validate: Callable[[ValidationContext], Iterable[Problem]] | str | None = attrs.field(
        default=None, validator=_ref(True))
    sql_file: str = attrs.field(default="none", validator=attrs.validators.in_(("required", "optional", "none")))
    sql: SqlForm | None = attrs.field(default=None, validator=attrs.validators.in_(
        ("query", "script", "expression", None)))
    incremental: bool = False
    writes: bool = False
    function: bool = False
    inputs: Inputs | None = attrs.field(default=None, validator=_inputs)
    test: Callable[[SqlTestRun], tuple[list[str], list[tuple[Any, ...]]]] | str | None = attrs.field(
        default=None, validator=_ref(True))
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""
    validate_covers_build: bool | Ref = attrs.field(default=False, validator=_flag_or_ref)

    def __attrs_post_init__(self) -> None:
        if (self.build is None) == (self.run is None):
            raise TypeError(f"task type {self.name!r} needs exactly one of build (a function returning an Airflow "
                            "operator) and run (the run behaviour of a native SQL kind)")

    @property
    def name(self) -> str:
        return f"{self.action}/{self.target}"


@attrs.frozen
class TriggerType(Record):
    """Something a DAG or a task waits for: ``triggers: [{kind: <kind>, options: {...}}]``.

    ``build(trigger: TriggerBuild)`` returns the wait task (usually a sensor), deferrable where the
    provider allows it. ``sql``, ``inputs``, ``validate`` and ``validate_covers_build`` are as for
    :class:`TaskType` (the SQL ``dop validate`` then checks is the trigger's ``options.sql``, else its
    ``sql/<identifier>.sql``).
    ``waits_for(options) -> str | None``: the DAG of this project (its folder name) a trigger with these typed
    options waits for, if any; ``dop validate``'s lineage check then takes it as the wait for that DAG's tables.
    """

    kind: str = attrs.field(validator=_name)
    build: Callable[[TriggerBuild], BaseOperator] | str = attrs.field(validator=_ref(False))
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    validate: Callable[[ValidationContext], Iterable[Problem]] | str | None = attrs.field(
        default=None, validator=_ref(True))
    sql_file: str = attrs.field(default="none", validator=attrs.validators.in_(("required", "optional", "none")))
    sql: SqlForm | None = attrs.field(default=None, validator=attrs.validators.in_(
        ("query", "script", "expression", None)))
    inputs: Inputs | None = attrs.field(default=None, validator=_inputs)
    waits_for: Callable[[Any], str | None] | str | None = attrs.field(default=None, validator=_ref(True))
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""
    validate_covers_build: bool | Ref = attrs.field(default=False, validator=_flag_or_ref)

    @property
    def name(self) -> str:
        return self.kind


@attrs.frozen
class EgressType(Record):
    """A destination for the ``egress`` task kind: ``kind: {action: egress, target: <name>}``.

    ``export(request)`` runs inside the task (import clients there, or name it by import string); it
    receives an :class:`~dop_core.contract.egress.ExportRequest` and returns an
    :class:`~dop_core.contract.egress.ExportResult`. ``options`` models the destination's own keys (they
    sit beside the common ones in the task's ``options``); ``validate`` sees them as ``ctx.options.destination``.
    ``inputs`` is as for :class:`TaskType`.
    """

    name: str = attrs.field(validator=_name)
    export: Callable[..., Any] | str = attrs.field(validator=_ref(False))
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    validate: Callable[[ValidationContext], Iterable[Problem]] | str | None = attrs.field(
        default=None, validator=_ref(True))
    inputs: Inputs | None = attrs.field(default=None, validator=_inputs)
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""


@attrs.frozen
class EngineType(Record):
    """A warehouse engine native SQL tasks run on: ``targets: {name: {engine: <name>, ...}}``.

    ``dialect`` is the sqlglot dialect the engine speaks (project SQL is translated to it).
    ``options`` models the target's keys besides ``engine``. ``connect(target)`` runs inside a task
    and returns an :class:`~dop_core.contract.engine.Engine`; import the client library there.
    ``secrets`` names target keys whose values are never shown (logs, docs, errors).
    ``single_catalog`` is true when the engine has no level above schemas (a DuckDB file, one
    Postgres database): ``project.dataset.table`` in the project's SQL then means ``dataset.table``.
    ``lock(target)``, when the engine has one, is the context manager a process outside DOP's engine (dbt,
    Spark) holds while it writes the target's warehouse (see :func:`dop_core.warehouse_lock`).
    ``openlineage(target, table)`` is the OpenLineage dataset ``(namespace, name)`` of a table the SQL names
    ``[database.]schema.table`` (its naming spec); without it ``(<engine>://<target name>, table)``.
    """

    name: str = attrs.field(validator=_name)
    dialect: str = attrs.field(validator=_name)
    connect: Callable[[Target], Engine] | str = attrs.field(validator=_ref(False))
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    secrets: tuple[str, ...] = ()
    single_catalog: bool = False
    lock: Callable[[Target], Any] | str | None = attrs.field(default=None, validator=_ref(True))
    openlineage: Callable[[Target, str], tuple[str, str]] | str | None = attrs.field(default=None,
                                                                                       validator=_ref(True))
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""


@attrs.frozen
class PluginSettings(Record):
    """A plugin's own settings: ``plugins: {<name>: {...}}`` in ``dop_project.yml``.

    ``options`` is the attrs model of the settings (every field optional). Under ``targets: {<target>:
    {...}}`` the same keys may be set per DOP target; DOP merges them over the project-wide ones for the
    chosen target (a value set on the target wins; a field whose metadata says ``{"merge": "update"}``
    (a mapping) or ``{"merge": "extend"}`` (a list) is combined instead). DOP validates the settings once
    per project, with file:line:column errors, and hands the typed, merged settings to the plugin's
    contexts as ``ctx.settings``. ``validate(ctx: SettingsContext)`` adds the plugin's own checks of them
    for the chosen target; it runs once, when the project uses one of the plugin's kinds.
    """

    name: str = attrs.field(validator=_name)
    options: type | str = attrs.field(validator=_options_model)
    validate: Callable[[SettingsContext], Iterable[Problem]] | str | None = attrs.field(
        default=None, validator=_ref(True))
    description: str = ""
    provider: str = ""


#: the statuses of a :class:`DoctorCheck`
DOCTOR_STATUSES = ("ok", "warn", "fail")


@attrs.frozen
class DoctorCheck:
    """One finding of ``dop doctor``: ``status`` is ``ok``, ``warn`` or ``fail``; ``fix`` says what to do (for
    ``warn`` and ``fail``). Plugins return these from the ``dop_doctor`` hook."""

    name: str
    status: str = attrs.field(validator=attrs.validators.in_(DOCTOR_STATUSES))
    message: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)
