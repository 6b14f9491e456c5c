"""``dop run``: run one DAG for one logical date through Airflow itself (``dag.test`` semantics).

The parent process (:func:`run_dag`) prepares the DOP-managed Airflow home and starts a child
(``python -m dop_core.runner``) with that environment; the child loads the project's DAG file the way
Airflow does and calls ``dag.test``. The parent streams a short progress view, keeps the full log
under ``.dop/logs/runs/``, prints each task's final state and the log of any task that failed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from typing import Any

from dop_core.airflow_home import airflow_env, ensure_database
from dop_core.project import DAG_ID_PREFIX, Project

RESULT_MARK = "DOP-RUN-RESULT "
_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")


def run_dag(project: Project, name: str, date: dt.date, full_refresh: bool = False, target: str | None = None,
            conf: dict[str, Any] | None = None, quiet: bool = False) -> int:
    """Run DAG ``name`` for ``date``; print states and failed logs; return the exit status (0 = success)."""
    dag_id = DAG_ID_PREFIX + project.dag_name(name)
    env = airflow_env(project, target)
    ensure_database(project, env)
    run_conf = dict(conf or {})
    if full_refresh:
        run_conf["full_refresh"] = True
    log_dir = project.dop_dir / "logs" / "runs" / dag_id
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{date.isoformat()}{'-full-refresh' if full_refresh else ''}.log"
    cmd = [sys.executable, "-m", "dop_core.runner", dag_id, date.isoformat(), json.dumps(run_conf)]
    say = (lambda *_: None) if quiet else (lambda text: print(text, flush=True))
    say(f"Running {dag_id} for {date.isoformat()}" + (" (full refresh)" if full_refresh else "")
        + f" on target {env.get('DOP_TARGET') or project.default_target}")
    sections: dict[str, list[str]] = {}
    current: str | None = None
    result: dict[str, Any] | None = None
    with open(log_path, "w", encoding="utf-8") as log_file:
        proc = subprocess.Popen(cmd, env=env, cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(RESULT_MARK):
                result = json.loads(line[len(RESULT_MARK):])
                continue
            log_file.write(line)
            if m := _START.search(line):
                current = m.group(1)
                sections[current] = []
                say(f"  -> {current}")
                continue
            if m := _END.search(line):
                current = None
                continue
            if current is not None:
                sections[current].append(line)
        proc.wait()
    if result is None:
        tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        print(f"\nThe run did not complete (exit {proc.returncode}); full log: {log_path}", file=sys.stderr)
        return proc.returncode or 1
    say("")
    width = max((len(t) for t in result["tasks"]), default=4)
    for task_id, state in result["tasks"].items():
        say(f"  {task_id.ljust(width)}  {state}")
    failed = [t for t, s in result["tasks"].items() if s in ("failed", "upstream_failed", "up_for_retry")]
    for task_id in failed:
        if sections.get(task_id):
            print(f"\n----- log of failed task {task_id} -----", file=sys.stderr)
            print("".join(_readable(sections[task_id])), file=sys.stderr, end="")
    if not result["tasks"]:  # never a success without running: Airflow made no task instance for this date
        print(f"\nThe run of {dag_id} for {date.isoformat()} ran no task; full log: {log_path}", file=sys.stderr)
        return 1
    say(f"\nDAG run {result['state']}; full log: {os.path.relpath(log_path)}")
    return 0 if result["state"] == "success" else 1


def check_run_date(dag: Any, date: dt.date) -> None:
    """Refuse a run for a date before the DAG's ``start_date``: Airflow would create no task for it and
    report the empty run a success. (A DAG without ``start_date`` starts on 1970-01-01: any date runs.)"""
    from dop_core.errors import DopError

    start = dag.start_date.in_timezone(dag.timezone).date() if dag.start_date else None
    if start is not None and date < start:
        raise DopError(f"{dag.dag_id} starts on {start.isoformat()} (start_date in its config.yaml): a run for "
                       f"{date.isoformat()} would run no task; choose --date {start.isoformat()} or later, or "
                       "move start_date back")


def _readable(lines: list[str]) -> list[str]:
    """Drop Airflow's bookkeeping lines from a task's log section, keep what the task said."""
    noise = ("Task instance state updated", "Updating RenderedTaskInstanceFields", "Task started",
             "::group::", "::endgroup::", "[DAG TEST]")
    return [line for line in lines if not any(n in line for n in noise)]


def _child(dag_id: str, date: str, conf: str) -> int:
    from airflow.dag_processing.dagbag import DagBag

    folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    bag = DagBag(dag_folder=folder)
    for path, error in bag.import_errors.items():
        print(f"Import error in {path}:\n{error}", flush=True)
    dag = bag.dags.get(dag_id)
    if dag is None:
        print(f"DAG {dag_id} is not in {folder}; DAGs found: {', '.join(sorted(bag.dags)) or 'none'}", flush=True)
        return 2
    ensure_pools(bag.dags.values())
    # midnight UTC keeps ds the date asked for; a start_date later that day (a time zone west of UTC) moves
    # the run to it, or Airflow would create no task instance
    logical = dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC)
    if dag.start_date is not None and dag.start_date > logical:
        logical = dag.start_date
    for task in dag.tasks:
        task.retries = 0  # each task runs once here: retries (3 every 5 minutes by default) are the scheduler's
    dr = dag.test(logical_date=logical, run_conf=json.loads(conf) or None)
    order = {task_id: i for i, task_id in enumerate(dag.task_ids)}
    states = {ti.task_id: _text(ti.state) for ti in sorted(dr.get_task_instances(), key=lambda t: order[t.task_id])}
    state = _text(dr.state)
    print(RESULT_MARK + json.dumps({"state": state, "tasks": states}), flush=True)
    return 0


def ensure_pools(dags: Any) -> list[str]:
    """Create the Airflow pools that DOP tasks ask for and that do not exist yet; return their names.

    A task asks by carrying ``dop_pool_slots`` (and optionally ``dop_pool_description``) next to its
    ``pool``; dop-dbt does so for its one-slot pool per dbt project. Tasks in a missing pool are
    never scheduled, and an operator cannot create its own pool, so the process that owns the
    Airflow database (``dop run``; ``dop airflow`` should call this too) creates them.
    """
    wanted: dict[str, tuple[int, str]] = {}
    for dag in dags:
        for task in dag.tasks:
            slots = getattr(task, "dop_pool_slots", None)
            if slots and task.pool:
                wanted.setdefault(task.pool, (int(slots), str(getattr(task, "dop_pool_description", "") or "")))
    if not wanted:
        return []
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    created = []
    with create_session() as session:
        for name, (slots, description) in sorted(wanted.items()):
            if Pool.get_pool(name, session=session) is None:
                Pool.create_or_update_pool(name, slots, description, include_deferred=False, session=session)
                created.append(name)
    return created


def _text(state: Any) -> str:
    return str(getattr(state, "value", state))


def _create_pools() -> int:
    """``python -m dop_core.runner pools``: create the pools the project's DAGs ask for (``dop airflow``)."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    for name in ensure_pools(bag.dags.values()):
        print(f"created Airflow pool {name}", flush=True)
    return 0


def create_pools(env: dict[str, str]) -> None:
    """Create the pools DOP tasks ask for in the Airflow database of ``env`` (a subprocess: Airflow reads
    its configuration when first imported)."""
    result = subprocess.run([sys.executable, "-m", "dop_core.runner", "pools"], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"creating Airflow pools failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    for line in result.stdout.splitlines():
        if line.startswith("created Airflow pool"):
            print(line, flush=True)


if __name__ == "__main__":
    sys.exit(_create_pools() if sys.argv[1:2] == ["pools"] else _child(*sys.argv[1:4]))
