"""Stopping a ``dop run`` cleanly, inside its runner child (the process that runs ``dag.test``).

``dop run`` sends SIGINT to its runner when it is interrupted (Ctrl-C, SIGTERM), and the kernel sends
the same when ``dop run`` dies (:func:`dop_core.cli.processes.die_with_parent`). The runner then:

1. calls ``on_kill()`` of the task running now (a BashOperator stops its command, dop-dbt its dbt
   process, ...) and SIGTERMs every process below it;
2. raises :class:`RunInterrupted` out of whatever Airflow was doing. A task's own error handling
   catches it (the task fails); the check around every task of ``dag.test`` raises it again, so no
   further task starts;
3. marks the DAG run and its unfinished task instances failed in the Airflow database, reports, kills
   whatever is still running below it and exits at once.

Python runs signal handlers between bytecodes only, so a task stuck in a long call into C (a DuckDB
query) would delay all this: a watcher thread, woken by the signal itself, does steps 1 and 3 on its
own after :data:`STOP_WAIT` seconds if the main thread has not got there.

A runner killed outright leaves its DAG run ``running``: :func:`fail_abandoned_runs` (called by the
next ``dop run`` and by ``dop airflow``) marks such runs failed once no ``dop run`` holds their lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pathlib
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

from dop_core.cli.airflow_home import run_lock_path
from dop_core.cli.processes import descendants, parent_alive, stop_processes
from dop_core.util.locks import is_held

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: seconds the watcher thread gives the main thread to stop the run before doing it itself
STOP_WAIT = 3.0


class RunInterrupted(BaseException):
    """Raised in the runner when it is told to stop (a BaseException: Airflow's ``except Exception`` let it
    through)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Interruption:
    """Stops the run of ``dag_id`` at ``logical_date`` on SIGINT/SIGTERM (see the module's docstring);
    ``result_mark`` starts the line that reports the tasks' states to ``dop run``."""

    def __init__(self, dag_id: str, logical_date: dt.datetime, result_mark: str):
        self.dag_id, self.logical_date, self.result_mark = dag_id, logical_date, result_mark
        self.signum: int | None = None
        #: the task running now (its ``on_kill`` is called on a signal)
        self.task: Any = None
        #: whether ``dag.test`` was called (there may be a DAG run of ours to mark failed)
        self.started = False
        self._finishing = threading.Lock()
        #: where the last words go (``dop run`` reads them): a file descriptor
        self.out = 1

    def listen(self) -> None:
        """From now on, SIGINT and SIGTERM stop the run."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        read, write = os.pipe()
        os.set_blocking(write, False)
        signal.set_wakeup_fd(write, warn_on_full_buffer=False)  # written by the C handler, even mid-C-call
        threading.Thread(target=self._watch, args=(read,), name="dop-stop-watcher", daemon=True).start()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # `dop run` starts us with them blocked

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
        """Raise :class:`RunInterrupted` if a stop signal came."""
        if self.signum is not None:
            raise RunInterrupted(self.signum)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.signum is not None:
            return  # already stopping
        self.signum = signum
        self._stop_tasks()
        raise RunInterrupted(signum)

    def _stop_tasks(self) -> None:
        """``on_kill`` of the running task, SIGTERM to every process below us."""
        if not parent_alive():  # nobody reads our output any more: writing to it would fail
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
        task = self.task
        if task is not None:
            with contextlib.suppress(Exception):
                task.on_kill()
        for proc in descendants():
            with contextlib.suppress(Exception):
                proc.terminate()

    def _watch(self, read: int) -> None:
        """Wait for a stop signal; if the main thread has not finished the run :data:`STOP_WAIT` seconds
        later, finish it from here."""
        stop_numbers = {int(sig) for sig in STOP_SIGNALS}
        while True:
            received = [n for n in os.read(read, 64) if n in stop_numbers]
            if received:
                break
        signum = received[0]
        time.sleep(STOP_WAIT)
        if self.signum is None:  # the main thread never ran its handler (stuck in C): act for it
            self.signum = signum
            self._stop_tasks()
        if self._finishing.acquire(blocking=False):
            self._finish(from_main_thread=False)

    def finish(self) -> NoReturn:
        """Mark the run failed, report, stop what is left below us, and exit (the main thread, after
        :class:`RunInterrupted`)."""
        self._finishing.acquire()  # if the watcher holds it, it exits the process for us
        self._finish(from_main_thread=True)

    def _finish(self, from_main_thread: bool) -> NoReturn:
        name = signal.Signals(self.signum or signal.SIGINT).name
        states = None
        note = f"[dop] interrupted ({name}) before the DAG run started"
        if self.started:
            try:
                from airflow import settings

                if from_main_thread and settings.Session is not None:
                    settings.Session.remove()  # roll back what was under way when the signal came
                states = mark_failed(self.dag_id, self.logical_date)
                note = f"[dop] interrupted ({name}): the DAG run and its unfinished tasks are marked failed"
            except Exception as exc:
                note = (f"[dop] interrupted ({name}); the DAG run could not be marked failed "
                        f"({type(exc).__name__}: {exc}): the next `dop run` or `dop airflow` does it")
        stop_processes(descendants(), grace=2.0)
        if parent_alive():
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(OSError):
                    stream.flush()
            last = note + "\n"
            if states is not None:
                last += self.result_mark + json.dumps({"state": "failed", "tasks": states, "interrupted": name}) + "\n"
            with contextlib.suppress(OSError):
                os.write(self.out, last.encode())
        elif os.environ.get("DOP_RUN_LOG"):  # `dop run` died: its log is ours to finish
            with open(os.environ["DOP_RUN_LOG"], "a", encoding="utf-8") as log:
                log.write(note + " (`dop run` itself was killed)\n")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):
                stream.flush()
        os._exit(128 + (self.signum or signal.SIGINT))  # now: tearing Airflow down takes seconds, for nothing


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
            if not is_held(run_lock_path(home, run.dag_id, date)):
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
