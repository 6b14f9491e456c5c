"""Stopping a ``dop run`` cleanly, inside its runner child (the process that runs ``dag.test``).

``dop run`` sends SIGINT to its runner when it is interrupted (Ctrl-C, SIGTERM), and the kernel sends
the same when ``dop run`` dies (:func:`dop_core.processes.die_with_parent`). The runner then:

1. calls ``on_kill()`` of the task running now (a BashOperator stops its command, dop-dbt its dbt
   process, ...) and SIGTERMs every process below it;
2. raises :class:`RunInterrupted` out of whatever Airflow was doing. A task's own error handling
   catches it (the task fails); the check around every task of ``dag.test`` raises it again, so no
   further task starts;
3. marks the DAG run and its unfinished task instances failed in the Airflow database, and kills
   whatever is still running below it.

A runner that had to be killed outright leaves its DAG run ``running``: :func:`fail_abandoned_runs`
(called by the next ``dop run`` and by ``dop airflow``) marks such runs failed once no ``dop run``
holds their lock any more.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import pathlib
import signal
from collections.abc import Callable
from typing import Any

from dop_core.airflow_home import run_lock_path
from dop_core.processes import descendants, parent_alive, stop_processes

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunInterrupted(BaseException):
    """Raised in the runner when it is told to stop (a BaseException: Airflow's ``except Exception`` let it
    through)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Interruption:
    """Turns SIGINT/SIGTERM into :class:`RunInterrupted` while ``dag.test`` runs (see the module's docstring)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        #: the task running now (its ``on_kill`` is called on a signal)
        self.task: Any = None
        #: whether ``dag.test`` was called (there may be a DAG run of ours to mark failed)
        self.started = False

    def listen(self) -> None:
        """Turn SIGINT and SIGTERM into :class:`RunInterrupted` from now on."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)

    def check_tasks(self) -> None:
        """Check for a stop before and after every task ``dag.test`` runs; call right before ``dag.test``."""
        import airflow.sdk.definitions.dag as dag_module

        run_task: Callable[..., Any] = dag_module._run_task

        def checked_run_task(**kwargs: Any) -> Any:
            self.check()
            self.task = kwargs.get("task")
            try:
                result = run_task(**kwargs)
            finally:
                self.task = None
                signal.signal(signal.SIGTERM, self._on_signal)  # Airflow's task runner installed its own
            self.check()
            return result

        dag_module._run_task = checked_run_task
        self.started = True

    def check(self) -> None:
        if self.signum is not None:
            raise RunInterrupted(self.signum)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.signum is not None:
            return  # already stopping
        self.signum = signum
        if not parent_alive():  # nobody reads our output any more: writing to it would fail
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
        if self.task is not None:
            with contextlib.suppress(Exception):
                self.task.on_kill()
        for proc in descendants():
            with contextlib.suppress(Exception):
                proc.terminate()
        raise RunInterrupted(signum)


def mark_failed(dag_id: str, logical_date: dt.datetime) -> dict[str, str] | None:
    """Mark the unfinished DAG run of ``dag_id`` at ``logical_date`` and its unfinished task instances
    failed; return every task's state, or None when no such run is unfinished."""
    from airflow.utils.session import create_session

    with create_session() as session:
        runs = _unfinished_runs(session, dag_id=dag_id, logical_date=logical_date)
        if not runs:
            return None
        return _fail(session, runs[0])


def fail_abandoned_runs(home: pathlib.Path) -> list[str]:
    """Mark failed every DAG run a ``dop run`` started and left unfinished (its runner was killed): the
    runs whose lock no ``dop run`` holds. Return ``"dag_id date"`` of each."""
    from airflow.utils.session import create_session

    failed = []
    with create_session() as session:
        for run in _unfinished_runs(session):
            date = run.logical_date.date().isoformat() if run.logical_date else ""
            if not _held(run_lock_path(home, run.dag_id, date)):
                _fail(session, run)
                failed.append(f"{run.dag_id} {date}")
    return failed


def _unfinished_runs(session: Any, **where: Any) -> list[Any]:
    """The DAG runs made by ``dag.test`` (``dop run``) that are queued or running."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.state import State
    from airflow.utils.types import DagRunTriggeredByType
    from sqlalchemy import select

    query = select(DagRun).where(DagRun.state.in_(State.unfinished_dr_states),
                                 DagRun.triggered_by == DagRunTriggeredByType.TEST)
    for column, value in where.items():
        query = query.where(getattr(DagRun, column) == value)
    return list(session.scalars(query))


def _fail(session: Any, run: Any) -> dict[str, str]:
    from airflow.utils.state import DagRunState, State, TaskInstanceState

    states = {}
    for ti in run.get_task_instances(session=session):
        if ti.state not in State.finished:
            ti.set_state(TaskInstanceState.FAILED, session=session)
        states[ti.task_id] = str(getattr(ti.state, "value", ti.state))
    run.set_state(DagRunState.FAILED)
    session.merge(run)
    return states


def _held(path: pathlib.Path) -> bool:
    """Whether a process holds the lock file ``path``."""
    if not path.exists():
        return False
    with open(path, "a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def stop_what_is_left() -> None:
    """Stop every process still running below this one (task commands, their children)."""
    stop_processes(descendants(), grace=2.0)
