"""The DOP plugin contract: every hook a plugin can implement.

Plugins are modules (or objects) with functions decorated by :data:`dop_core.hookimpl`, found
through the entry-point group ``dop``. DOP's own task types, triggers, destinations and engines are
registered through these same hooks by built-in plugins (``dop_core.builtin.<concept>.plugin``).

Registering a plugin checks its implementations against these specs: a function named like no hook
here, or taking an argument its hook does not pass, is an error naming the plugin. An implementation
may take fewer arguments than its spec. Hooks are called through pluggy one plugin at a time: a plugin
whose implementation raises is reported by name and the others still count.

Call order: the registration hooks are called in registration order (the built-ins first, then the
installed plugins); DOP collects every record, and a second record with a name already registered is
an error naming both plugins (the first is kept). :func:`dop_jinja_macros` is called in registration
order too. :func:`dop_dag_built` is called in pluggy's order, the most recently registered plugin first:
the built-ins run last, after every external plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from airflow.sdk import DAG

    from dop_core.config.models import DagConfig, Project
    from dop_core.contract.records import (
        DoctorCheck,
        EgressType,
        EngineType,
        PluginSettings,
        TaskType,
        TriggerType,
    )

PROJECT_NAME = "dop"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def dop_task_types() -> Sequence[TaskType]:
    """Register task types: what ``kind: {action, target}`` in a DAG's ``tasks`` can name.

    Returns a sequence of :class:`dop_core.TaskType`. Every implementation is called and the
    results are merged; two records with the same ``action``/``target`` are an error naming both
    plugins. A kind either builds its own Airflow operator (``build``) or is a native SQL kind whose
    ``run`` DOP calls inside its SQL task with a :class:`dop_core.RunContext`. Name every function
    and the options model by import string, so that registering costs a parse nothing (each is
    imported when first used); declare ``inputs`` so that DAGs using the kind are served from the parse
    cache. Since 0.1.

    Example::

        # my_plugin/options.py
        import attrs

        @attrs.frozen
        class HelloOptions:
            greeting: str = "hello"

        # my_plugin/tasks.py: imported when a DAG using the kind is built
        def build(task):  # runs at parse time: import only what Airflow already has
            from airflow.providers.standard.operators.bash import BashOperator
            return BashOperator(task_id=task.task_id, bash_command=f"echo {task.options.greeting}")

        def run(ctx):  # a native SQL kind: runs inside the task, on the target's engine
            return ctx.engine.query(ctx.query()).rows

        # my_plugin/plugin.py, the module the entry point names
        from dop_core import TaskType, hookimpl

        @hookimpl
        def dop_task_types():
            return [TaskType(action="hello", target="echo", options="my_plugin.options:HelloOptions",
                             build="my_plugin.tasks:build", inputs=()),
                    TaskType(action="hello", target="count", run="my_plugin.tasks:run", sql_file="required",
                             sql="query", inputs=())]
    """


@hookspec
def dop_trigger_types() -> Sequence[TriggerType]:
    """Register trigger kinds: what ``triggers: [{kind: ...}]`` on a DAG or a task can name.

    Returns a sequence of :class:`dop_core.TriggerType`; merged like :func:`dop_task_types`, the
    ``kind`` being the unique name. The record's ``build`` returns the wait task (a sensor). Since 0.1.

    Example::

        @hookimpl
        def dop_trigger_types():
            return [TriggerType(kind="always", build="my_plugin.triggers:always", inputs=())]
    """


@hookspec
def dop_egress_types() -> Sequence[EgressType]:
    """Register egress destinations for the ``egress`` task action (``target`` names one).

    Returns a sequence of :class:`dop_core.EgressType`; merged like :func:`dop_task_types`, the
    ``name`` being unique. ``export`` runs inside the task with a :class:`dop_core.ExportRequest`;
    most destinations write the file with :func:`dop_core.publish_export` and a small publisher
    (``exists``/``publish``/``remove``), which handles the overwrite policy, the atomic hand-over and
    the ``_SUCCESS`` marker. Since 0.1.

    Example::

        @hookimpl
        def dop_egress_types():
            return [EgressType(name="s3", options="my_plugin.s3:S3Options", export="my_plugin.s3:export",
                               inputs=())]
    """


@hookspec
def dop_engines() -> Sequence[EngineType]:
    """Register warehouse engines that native SQL tasks run on (``targets.<name>.engine``).

    Returns a sequence of :class:`dop_core.EngineType`; merged like :func:`dop_task_types`, the
    ``name`` being unique. ``connect`` is called inside tasks only and returns a subclass of
    :class:`dop_core.Engine`. Since 0.1.

    Example::

        @hookimpl
        def dop_engines():
            return [EngineType(name="postgres", dialect="postgres", options="my_plugin.target:PgTarget",
                               connect="my_plugin.engine:connect")]
    """


@hookspec
def dop_plugin_settings() -> Sequence[PluginSettings]:
    """Declare the plugin's own settings: ``plugins: {<name>: {...}}`` in ``dop_project.yml``.

    Returns a sequence of :class:`dop_core.PluginSettings` (usually one): ``name`` is the key under
    ``plugins:``, ``options`` the attrs model of the settings (or its import string). DOP validates
    them once per project (every mistake with its file, line and column), merges
    ``plugins.<name>.targets.<target>`` over the project-wide keys for the chosen target, and hands
    the typed result to the plugin's contexts as ``ctx.settings``: the validation, build and settings
    contexts of every kind the same plugin registers. Since 0.1.

    Example::

        # my_plugin/settings.py
        import attrs

        @attrs.frozen
        class HelloSettings:
            greeting: str | None = None
            env: dict[str, str] | None = attrs.field(default=None, metadata={"merge": "update"})

        # my_plugin/plugin.py
        @hookimpl
        def dop_plugin_settings():
            return [PluginSettings(name="hello", options="my_plugin.settings:HelloSettings")]
    """


@hookspec
def dop_dag_built(dag: DAG, config: DagConfig, project: Project) -> None:
    """Called with every DAG DOP builds, before Airflow sees it: add tags, callbacks, policy.

    ``dag`` is the :class:`airflow.sdk.DAG`, ``config`` its validated
    :class:`dop_core.DagConfig`, ``project`` the :class:`dop_core.Project`. Return value ignored.
    An exception is that plugin's error (logged when Airflow parses, an error of the DAG under
    ``dop validate``); the DAG is still built, with the other plugins' changes. Since 0.1.

    Example::

        @hookimpl
        def dop_dag_built(dag, config, project):
            dag.tags.add(f"team:{project.name}")
    """


@hookspec
def dop_jinja_macros(project: Project) -> dict[str, Callable[..., Any]]:
    """Add macros to the Jinja environment of every DOP DAG (``{{ name(...) }}`` in SQL).

    Returns a mapping of macro name to callable; later plugins cannot silently replace an earlier
    name (a clash is an error naming both; the earlier plugin's macro is kept). A plugin whose
    implementation raises adds no macro, and the error names it. Since 0.1.

    Example::

        @hookimpl
        def dop_jinja_macros(project):
            return {"quarter": lambda ds: f"{ds[:4]}Q{(int(ds[5:7]) - 1) // 3 + 1}"}
    """


@hookspec
def dop_doctor(project: Project | None) -> Sequence[DoctorCheck]:
    """Check what the plugin needs to run (a tool, a virtualenv, a service) for ``dop doctor``.

    ``project`` is the service project ``dop doctor`` runs in, or None outside one. Return
    :class:`~dop_core.DoctorCheck` records (``status`` ok, warn or fail, with a ``fix``); a failure
    makes ``dop doctor`` exit 1. Keep it quick (seconds): no network call without a short timeout.
    Since 0.1.

    Example::

        @hookimpl
        def dop_doctor(project):
            if shutil.which("mytool") is None:
                return [DoctorCheck("mytool", "fail", "mytool is not on PATH", "pip install mytool")]
            return [DoctorCheck("mytool", "ok", "mytool found")]
    """
