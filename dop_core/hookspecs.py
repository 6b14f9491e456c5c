"""The DOP plugin contract: every hook a plugin can implement.

Plugins are modules (or objects) with functions decorated by :data:`dop_core.hookimpl`, found
through the entry-point group ``dop``. DOP's own task types, triggers and engines are registered
through these same hooks by built-in plugins (``dop_core.builtin.*``).

Call order: pluggy calls the most recently registered plugin first, so external plugins (loaded
after the built-ins) are called before the built-ins. For the registration hooks the order does not
matter: DOP collects every record and refuses two records with the same name, naming both plugins.
For :func:`dop_dag_built`, built-ins run last, after every external plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from airflow.sdk import DAG

    from dop_core.doctor import DoctorCheck
    from dop_core.project import DagConfig, Project
    from dop_core.records import EgressType, EngineType, TaskType, TriggerType

PROJECT_NAME = "dop"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def dop_task_types() -> Sequence[TaskType]:
    """Register task types: what ``kind: {action, target}`` in a DAG's ``tasks`` can name.

    Returns a sequence of :class:`dop_core.TaskType`. Every implementation is called and the
    results are merged; two records with the same ``action``/``target`` are an error naming both
    plugins. ``options`` is the options model or, to keep parsing light, its import string
    (imported only when a config using the kind is validated). Since 0.1.

    Example::

        # my_plugin/options.py
        import attrs

        @attrs.frozen
        class HelloOptions:
            greeting: str = "hello"

        # my_plugin/plugin.py, the module the entry point names
        from dop_core import TaskType, hookimpl

        def build(task):  # runs at parse time: import only what Airflow already has
            from airflow.providers.standard.operators.bash import BashOperator
            return BashOperator(task_id=task.task_id, bash_command=f"echo {task.options.greeting}")

        @hookimpl
        def dop_task_types():
            return [TaskType(action="hello", target="echo", options="my_plugin.options:HelloOptions",
                             build=build)]
    """


@hookspec
def dop_trigger_types() -> Sequence[TriggerType]:
    """Register trigger kinds: what ``triggers: [{kind: ...}]`` on a DAG or a task can name.

    Returns a sequence of :class:`dop_core.TriggerType`; merged like :func:`dop_task_types`, the
    ``kind`` being the unique name. The record's ``build`` returns the wait task (a sensor). Since 0.1.

    Example::

        @hookimpl
        def dop_trigger_types():
            return [TriggerType(kind="always", build=lambda t: EmptyOperator(task_id=t.task_id))]
    """


@hookspec
def dop_egress_types() -> Sequence[EgressType]:
    """Register egress destinations for the ``egress`` task action (``target`` names one).

    Returns a sequence of :class:`dop_core.EgressType`; merged like :func:`dop_task_types`, the
    ``name`` being unique. ``export`` runs inside the task. Since 0.1.

    Example::

        @hookimpl
        def dop_egress_types():
            return [EgressType(name="s3", options=S3Options, export=export_to_s3)]
    """


@hookspec
def dop_engines() -> Sequence[EngineType]:
    """Register warehouse engines that native SQL tasks run on (``targets.<name>.engine``).

    Returns a sequence of :class:`dop_core.EngineType`; merged like :func:`dop_task_types`, the
    ``name`` being unique. ``connect`` is called inside tasks only. Since 0.1.

    Example::

        @hookimpl
        def dop_engines():
            return [EngineType(name="postgres", dialect="postgres", options=PgTarget, connect=connect)]
    """


@hookspec
def dop_dag_built(dag: DAG, config: DagConfig, project: Project) -> None:
    """Called with every DAG DOP builds, before Airflow sees it: add tags, callbacks, policy.

    ``dag`` is the :class:`airflow.sdk.DAG`, ``config`` its validated
    :class:`dop_core.DagConfig`, ``project`` the :class:`dop_core.Project`. Return value ignored;
    an exception is reported as that DAG's error. Since 0.1.

    Example::

        @hookimpl
        def dop_dag_built(dag, config, project):
            dag.tags.add(f"team:{project.name}")
    """


@hookspec
def dop_jinja_macros(project: Project) -> dict[str, Callable[..., Any]]:
    """Add macros to the Jinja environment of every DOP DAG (``{{ name(...) }}`` in SQL).

    Returns a mapping of macro name to callable; later plugins cannot silently replace an earlier
    name (a clash is an error naming both). Since 0.1.

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
