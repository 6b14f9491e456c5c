"""The typed records plugins return from the registration hooks.

Each is a frozen attrs class with a unique name. The core fills in ``provider`` (the plugin that
registered it) when it collects them, refuses duplicates naming both providers, and validates a
task's or trigger's ``options`` against the record's attrs ``options`` model.

``options`` is the attrs class itself or, better, its import string (``"my_plugin.options:MyOptions"``):
Airflow re-parses DAG files constantly, every class a module defines costs memory in every parsing
process, and an options model is needed only to validate a config that uses the kind (the parse cache
skips validation). :attr:`~TaskType.options_model` imports it on first use.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator

    from dop_core.build.context import TaskBuild, TriggerBuild, ValidationContext
    from dop_core.engines.base import Engine
    from dop_core.errors import Problem
    from dop_core.extras import Extra
    from dop_core.project import Target


@attrs.frozen
class NoOptions:
    """The options model of a task type or trigger that takes no options."""


def _callable(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{attribute.name} must be callable, got {value!r}")


_IMPORT_STRING = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def _options_model(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, str) and _IMPORT_STRING.fullmatch(value):
        return
    if not (isinstance(value, type) and attrs.has(value)):
        raise TypeError(f"{attribute.name} must be an attrs class or its import string "
                        f"'package.module:Class', got {value!r}")


def load_model(ref: type | str) -> type:
    """The attrs class ``ref`` names: the class itself, or an import string ``"package.module:Class"``."""
    return ref if isinstance(ref, type) else _import_model(ref)


@functools.cache
def _import_model(ref: str) -> type:
    module, _, qualname = ref.partition(":")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    if not (isinstance(found, type) and attrs.has(found)):
        raise TypeError(f"{ref} is {found!r}, not an attrs class")
    return found


class _Options:
    """The ``options_model`` property the records share."""

    __slots__ = ()
    options: type | str
    provider: str

    @property
    def options_model(self) -> type:
        """The attrs options model (imported on first use when ``options`` is an import string)."""
        ref = self.options
        try:
            return load_model(ref)
        except Exception as exc:
            from dop_core.errors import PluginError

            raise PluginError(f"{self.provider or 'a plugin'}: the options model {ref!r} of "
                              f"{getattr(self, 'name', '')!r} cannot be loaded: {type(exc).__name__}: {exc}") from exc


def _name(_inst: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{attribute.name} must be a non-empty string, got {value!r}")


@attrs.frozen
class TaskType(_Options):
    """A kind of task: ``kind: {action: <action>, target: <target>}`` in a DAG's config.

    ``build`` turns one validated task into an Airflow operator; it runs at DAG-parse time, so it
    must import nothing heavy (operators import their clients inside ``execute``).
    ``validate`` adds checks beyond the options model (files that must exist, cross-field rules);
    it yields :class:`~dop_core.errors.Problem` records.
    ``sql_file`` says whether the task needs ``sql/<identifier>.sql`` ("required"), may have one
    ("optional") or never reads one ("none").
    """

    action: str = attrs.field(validator=_name)
    target: str = attrs.field(validator=_name)
    build: Callable[[TaskBuild], BaseOperator] = attrs.field(validator=_callable)
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    validate: Callable[[ValidationContext], Iterable[Problem]] | None = attrs.field(
        default=None, validator=_callable)
    sql_file: str = attrs.field(default="none", validator=attrs.validators.in_(("required", "optional", "none")))
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""

    @property
    def name(self) -> str:
        return f"{self.action}/{self.target}"


@attrs.frozen
class TriggerType(_Options):
    """Something a DAG or a task waits for: ``triggers: [{kind: <kind>, options: {...}}]``.

    ``build`` returns the wait task (usually a sensor), deferrable where the provider allows it.
    """

    kind: str = attrs.field(validator=_name)
    build: Callable[[TriggerBuild], BaseOperator] = attrs.field(validator=_callable)
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    validate: Callable[[ValidationContext], Iterable[Problem]] | None = attrs.field(
        default=None, validator=_callable)
    sql_file: str = attrs.field(default="none", validator=attrs.validators.in_(("required", "optional", "none")))
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""

    @property
    def name(self) -> str:
        return self.kind


@attrs.frozen
class EgressType(_Options):
    """A destination for the core's ``egress`` task action: ``kind: {action: egress, target: <name>}``.

    ``export(request)`` runs inside the task (import clients lazily there); it receives an
    :class:`~dop_core.egress.ExportRequest` and returns an :class:`~dop_core.egress.ExportResult`.
    """

    name: str = attrs.field(validator=_name)
    export: Callable[..., Any] = attrs.field(validator=_callable)
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    validate: Callable[[ValidationContext], Iterable[Problem]] | None = attrs.field(
        default=None, validator=_callable)
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""


@attrs.frozen
class EngineType(_Options):
    """A warehouse engine native SQL tasks run on: ``targets: {name: {engine: <name>, ...}}``.

    ``dialect`` is the sqlglot dialect the engine speaks (project SQL is translated to it).
    ``options`` models the target's keys besides ``engine``. ``connect(target)`` runs inside a task
    and returns an :class:`~dop_core.engines.base.Engine`; import the client library there.
    ``secrets`` names target keys whose values are never shown (logs, docs, errors).
    ``single_catalog`` is true when the engine has no level above schemas (a DuckDB file, one
    Postgres database): ``project.dataset.table`` in the project's SQL then means ``dataset.table``.
    """

    name: str = attrs.field(validator=_name)
    dialect: str = attrs.field(validator=_name)
    connect: Callable[[Target], Engine] = attrs.field(validator=_callable)
    options: type | str = attrs.field(default=NoOptions, validator=_options_model)
    secrets: tuple[str, ...] = ()
    single_catalog: bool = False
    #: an extra it needs installed, e.g. :data:`~dop_core.extras.GOOGLE_EXTRA` (validation says what to install)
    requires: Extra | None = None
    description: str = ""
    provider: str = ""
