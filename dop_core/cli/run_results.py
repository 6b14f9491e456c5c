"""What a ``dop run`` did, task by task, as data: ``.dop/runs/<run id>/run_results.json`` (dbt's ``run_results.json``).

In the runner (the child process that calls ``dag.test``), :class:`TaskRecorder` reports each task's end to
``dop run`` as it happens (a :data:`TASK_MARK` line: state, duration, the error's message) and
:func:`task_results` reads every task instance of the DAG run back from the Airflow database (start, end,
duration, the rows it wrote). In ``dop run``, :func:`write_results` writes the results, redacted, to a file of
their own; :func:`results_json` is what ``dop run --format json`` prints.

An operator tells how many rows it wrote by pushing the XCom :data:`ROWS_WRITTEN` (DOP's native tasks do).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pathlib
import time
from collections.abc import Callable
from typing import Any

from dop_core.contract.runtime import ROWS_WRITTEN
from dop_core.secrets import redact
from dop_core.util.private import open_private, private_dir

#: starts the line the runner prints when a task ends (JSON: task_id, state, duration_s, error)
TASK_MARK = "DOP-TASK "
RESULTS_FILE = "run_results.json"
#: version of the results' layout (``docs/running.md``)
SCHEMA_VERSION = 1
#: the states of a task instance that count as a failure
FAILED_STATES = ("failed", "upstream_failed", "up_for_retry")


def error_text(error: BaseException | None) -> str | None:
    """An exception as ``dop run`` reports it: its type (without module) and message."""
    if error is None:
        return None
    return f"{type(error).__name__}: {error}".strip()


class TaskRecorder:
    """In the runner: around every task ``dag.test`` runs, keep its error and print a :data:`TASK_MARK` line with
    its state and duration (to ``write``). Install right before ``dag.test``."""

    def __init__(self, write: Callable[[str], None]):
        self.write = write
        self.errors: dict[str, str] = {}

    def install(self) -> None:
        import airflow.sdk.definitions.dag as dag_module

        run_task: Callable[..., Any] = dag_module._run_task

        def recorded_run_task(**kwargs: Any) -> Any:
            ti = kwargs["ti"]
            started = time.monotonic()
            result = run_task(**kwargs)
            error = error_text(getattr(result, "error", None))
            if error:
                self.errors[ti.task_id] = error
            state = str(getattr(ti.state, "value", ti.state))
            self.write(TASK_MARK + json.dumps({"task_id": ti.task_id, "state": state, "error": error,
                                               "duration_s": round(time.monotonic() - started, 3)}))
            return result

        dag_module._run_task = recorded_run_task


def task_results(dag: Any, dag_run: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    """Every task instance of ``dag_run``, in the DAG's order, as the results list them."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from dop_core.cli.selection import task_kind

    with create_session() as session:
        rows = {x.task_id: XComModel.deserialize_value(x) for x in session.scalars(
            select(XComModel).where(XComModel.dag_id == dag_run.dag_id, XComModel.run_id == dag_run.run_id,
                                    XComModel.key == ROWS_WRITTEN))}
        instances = list(dag_run.get_task_instances(session=session))
    order = {task_id: i for i, task_id in enumerate(dag.task_ids)}
    results = []
    for ti in sorted(instances, key=lambda t: order.get(t.task_id, len(order))):
        written = rows.get(ti.task_id)
        results.append({
            "task_id": ti.task_id,
            "kind": task_kind(dag.get_task(ti.task_id)) if ti.task_id in order else None,
            "state": str(getattr(ti.state, "value", ti.state)),
            "start": _iso(ti.start_date),
            "end": _iso(ti.end_date),
            "duration_s": None if ti.duration is None else round(float(ti.duration), 3),
            "rows_written": written if isinstance(written, int) else None,
            "error": errors.get(ti.task_id),
        })
    return results


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_folder(dop_dir: pathlib.Path, run_id: str, under: pathlib.Path) -> pathlib.Path:
    """``.dop/runs/<run_id>/`` (created, private); ``.dop/runs/latest`` links to it."""
    folder = private_dir(dop_dir / "runs" / run_id, under=under)
    latest, link = folder.parent / "latest", folder.parent / f".latest.{os.getpid()}.link"
    with contextlib.suppress(OSError):  # a folder without symbolic links only misses the shortcut
        link.unlink(missing_ok=True)
        link.symlink_to(run_id)
        os.replace(link, latest)
    return folder


def redacted(value: Any) -> Any:
    """``value`` (JSON data) with every string passed through DOP's redaction layer."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redacted(item) for item in value]
    return value


def results_json(results: dict[str, Any]) -> str:
    return json.dumps(redacted(results), indent=2)


def write_results(folder: pathlib.Path, results: dict[str, Any]) -> pathlib.Path:
    """Write ``results`` (redacted) to ``folder/run_results.json``; return its path."""
    path = folder / RESULTS_FILE
    with open_private(path, "w", encoding="utf-8") as out:
        out.write(results_json(results) + "\n")
    return path


_STATE_ORDER = ("success", "failed", "upstream_failed", "up_for_retry", "skipped")


def counts(tasks: list[dict[str, Any]]) -> dict[str, int]:
    """How many tasks ended in each state: success, failed, upstream_failed, up_for_retry, skipped, then others."""
    found: dict[str, int] = {}
    for task in tasks:
        found[task["state"]] = found.get(task["state"], 0) + 1
    rank = {state: i for i, state in enumerate(_STATE_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
