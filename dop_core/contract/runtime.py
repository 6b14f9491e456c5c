"""What a task needs while it runs, and what the built kinds share: the target's engine and its lock, the
full-refresh flag, the target's secrets, the asset a written table is.

Importing this module is cheap: engines and clients are imported by what is called, inside the task.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any

from dop_core.secrets import option_secrets, register_secrets

if TYPE_CHECKING:
    from dop_core.config.models import Project, Target
    from dop_core.contract.engine import Engine


#: the XCom key an operator pushes the number of rows it wrote under (``dop run``'s results show it)
ROWS_WRITTEN = "rows_written"


def connect(target: Target) -> Engine:
    """Open ``target``'s engine (inside a task only; use it as a context manager); the target's secrets are
    masked in every log from then on."""
    from dop_core.contract.registry import get_registry

    register_target(target)
    engine: Engine = get_registry().named("engine", target.engine).load("connect")(target)
    return engine


def warehouse_lock(target: Target) -> contextlib.AbstractContextManager[Any]:
    """The lock a process outside DOP's engine (dbt, Spark) holds while it writes ``target``'s warehouse: the
    one DOP's engine takes (a DuckDB file allows one writer), or none for engines that need none."""
    from dop_core.contract.registry import get_registry

    lock = get_registry().named("engine", target.engine).load("lock")
    return contextlib.nullcontext() if lock is None else lock(target)


def _is_incremental(context: Any) -> bool:
    return not full_refresh_of(context)


def _make_is_incremental() -> Any:
    import jinja2

    @jinja2.pass_context
    def is_incremental(context: Any) -> bool:
        """``{% if is_incremental() %}`` in any templated field: false on a full refresh. DOP's table
        materializations replace it with one that is also false while the table does not exist yet."""
        return _is_incremental(context)

    return is_incremental


#: the ``is_incremental()`` macro of every DOP DAG's template environment
is_incremental = _make_is_incremental()


def full_refresh_of(context: Any) -> bool:
    """Whether this run is a full refresh: the ``full_refresh`` param (trigger form) or run conf."""
    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    return bool(conf.get("full_refresh", params.get("full_refresh", False)))


def target_secrets(target: Target) -> list[str]:
    """The secret values of ``target``: its engine's declared secret keys, keys named like a secret, and
    the credentials inside any option (a DSN's password), longest first."""
    from dop_core.contract.registry import get_registry

    try:
        keys: tuple[str, ...] = get_registry().named("engine", target.engine).secrets
    except LookupError:
        keys = ()
    return sorted(set(option_secrets(target.options, keys)), key=len, reverse=True)


def register_target(target: Target) -> None:
    """Mask the secrets of ``target`` (see :func:`target_secrets`) in this process's logs and Airflow's."""
    register_secrets(*target_secrets(target))


def table_asset(project: Project, relation: str) -> Any:
    """The Airflow ``Asset`` of a warehouse table (``schema.table``; URI :func:`asset_uri`), one object per
    table for the process: the task writing it (an outlet), those reading it (inlets) and a DAG scheduled on
    it share it, as Airflow's own examples share one ``Asset`` between a producer and its consumers (making
    one checks its URI, which every task of every parse would pay again)."""
    return _asset(asset_uri(project, relation))


@functools.lru_cache(maxsize=8192)
def _asset(uri: str) -> Any:
    from airflow.sdk import Asset

    return Asset(uri)


def asset_uri(project: Project, relation: str) -> str:
    """The Airflow asset URI of a warehouse table DOP writes: ``x-dop://<project>/<schema>.<table>``.

    The ``x-`` scheme tells Airflow not to look for a provider's URI normaliser, which would import
    every provider's asset module (and google-cloud with it) at parse time.
    """
    return f"x-dop://{project.name}/{relation}"
