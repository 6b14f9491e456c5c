"""``dop run``: run one DAG for one logical date through Airflow itself (``dag.test`` semantics).

The parent process (:func:`run_dag`) prepares the DOP-managed Airflow home and starts a child
(``python -m dop_core.cli.run``) with that environment. The child checks the run first
(:mod:`dop_core.cli.run_checks`: the DAG builds, the selection, the SQL templates, the conf, the date) and
tells the parent the outcome (:data:`ERROR_MARK` with the error as ``dop`` shows it, or :data:`READY_MARK` with
the tasks selected); only then does the parent announce the run and open its log, and the child, told where that
log is, loads the project's DAG file the way Airflow does and calls ``dag.test``. So a run imports Airflow once,
in the child; the parent never imports it. After the first run of a project, the child is forked by the
project's run server instead (:mod:`dop_core.cli.run_server`), Airflow already imported; it does the same.
The parent streams a short progress view, keeps the full log of
each run in its own file under ``.dop/logs/runs/``, prints each task's final state and the log of any
task that failed.

One ``dop run`` of a DAG and date at a time: a second one waits for the first (and says so). SIGINT
(Ctrl-C) or SIGTERM stops the run within seconds (:mod:`dop_core.cli.interruption`): the child stops its
task and every process below it and marks the DAG run and its unfinished tasks failed; a child that does
not stop within :data:`STOP_GRACE` seconds is killed with everything below it.

Secrets: the child's whole output (its file descriptors 1 and 2) goes through DOP's redaction layer
and Airflow's maskers in the child, which know what the tasks registered (connection passwords,
sensitive Variables, credentials in URLs); the parent redacts each line again with what it knows (the
project's target secrets, the shapes of credentials) before printing or writing it to the log file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from dop_core.cli.airflow_home import airflow_env, airflow_home, ensure_database, run_lock_path
from dop_core.cli.processes import PARENT_PID, adopt_orphans, descendants, die_with_parent, exit_now
from dop_core.cli.run_server import record_modules, served_runner, start_server
from dop_core.cli.selection import Selection
from dop_core.config.models import DAG_ID_PREFIX, Project
from dop_core.contract.runtime import register_target
from dop_core.secrets import redact
from dop_core.util.locks import file_lock
from dop_core.util.private import PRIVATE_FILE, private_dir

RESULT_MARK = "DOP-RUN-RESULT "
#: the runner's checks passed: the tasks selected and those left out follow (JSON); it waits for the log's path
READY_MARK = "DOP-RUN-READY "
#: the runner's checks failed: the error as ``dop`` shows it, and the exit status, follow (JSON)
ERROR_MARK = "DOP-RUN-ERROR "
#: seconds the runner has to stop after SIGINT/SIGTERM before it is killed
STOP_GRACE = 10.0


class Interrupted(Exception):
    """``dop run`` got SIGINT or SIGTERM before its runner started."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class _Stopper:
    """SIGINT/SIGTERM in ``dop run``: before the runner starts, :class:`Interrupted`; once it runs, SIGINT to it
    (it stops itself cleanly), and SIGKILL to it and everything below it after ``grace`` seconds, or at
    once on a second signal."""

    def __init__(self, grace: float):
        self.grace = grace
        self.signum: int | None = None
        self.child: Any = None  # a subprocess.Popen, or a forkserver.Served (a runner the run server forked)
        self.killed = False
        self._timer: threading.Timer | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Stopper:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: object) -> None:
        first = self.signum is None
        self.signum = self.signum or signum
        if self.child is None:
            raise Interrupted(signum)
        if first:
            self.child.send_signal(signal.SIGINT)
            self._timer = threading.Timer(self.grace, self.kill)
            self._timer.daemon = True
            self._timer.start()
        else:
            self.kill()

    def kill(self) -> None:
        """SIGKILL the runner and everything below it (if it is still running)."""
        child = self.child
        if child is None or child.poll() is not None:
            return
        self.killed = True
        for proc in descendants(child.pid):
            with contextlib.suppress(Exception):  # gone meanwhile
                proc.kill()
        child.kill()


def run_dag(project: Project, name: str, date: dt.date, full_refresh: bool = False, target: str | None = None,
            conf: dict[str, Any] | None = None, quiet: bool = False, selection: Selection | None = None,
            fmt: str = "text", sink: Callable[[dict[str, Any]], None] | None = None, select: Sequence[str] = (),
            exclude: Sequence[str] = ()) -> int:
    """Run DAG ``name`` for ``date`` (only the tasks of ``selection``, when given, else those ``select`` and not
    ``exclude`` choose); show each task, the failures and a summary (:mod:`dop_core.cli.run_output`), write the
    run's results; with ``fmt="json"`` print them on stdout (or hand them to ``sink``, when given), the rest on
    stderr. A check that fails before the run (:mod:`dop_core.cli.run_checks`) is shown as ``dop`` shows errors.
    Return the exit status (0 = success)."""
    from dop_core.config.project import dag_folder

    dag_folder(project, name)  # a DAG the project does not have: said before Airflow's database is made
    dag_id = DAG_ID_PREFIX + project.dag_name(name)
    for each in project.targets.values():
        register_target(each)
    env = airflow_env(project, target)
    shown = sys.stderr if fmt == "json" else sys.stdout
    say = (lambda *_: None) if quiet else (lambda text: print(text, file=shown, flush=True))
    run_conf = dict(conf or {})
    if full_refresh:
        run_conf["full_refresh"] = True
    request = {"dag": name, "dag_id": dag_id, "date": date.isoformat(), "target": target, "conf": run_conf,
               "select": list(select), "exclude": list(exclude),
               "only": None if selection is None else list(selection.selected)}
    with _Stopper(STOP_GRACE) as stopper:
        try:
            ensure_database(project, env)
            lock = run_lock_path(airflow_home(project), dag_id, date.isoformat())
            with file_lock(lock, timeout=None, say=say, busy="",
                           waiting=f"waiting for another `dop run` of {dag_id} for {date.isoformat()} to finish"
                           ) as lock_fd:
                return _run(project, request, full_refresh, env, say, stopper, lock_fd, fmt, sink)
        except Interrupted as stop:
            print(f"Interrupted ({stop}) before {dag_id} started; nothing ran", file=sys.stderr, flush=True)
            return 128 + stop.signum


def _run(project: Project, request: dict[str, Any], full_refresh: bool, env: dict[str, str], say: Any,
         stopper: _Stopper, lock_fd: int, fmt: str, sink: Callable[[dict[str, Any]], None] | None = None) -> int:
    target = env.get("DOP_TARGET") or project.default_target
    # A signal from here until the runner is known to the stopper waits (the runner inherits the blocked
    # signals and takes them once it handles them): the run is either not started, or started and stoppable.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        proc: Any = served_runner(project.root, env, json.dumps(request), lock_fd)
        if proc is None:  # no server: one starts now, beside this run, for the next runs
            start_server(project.root, env, project.dop_dir / "logs" / "run-server.log")
            proc = subprocess.Popen([sys.executable, "-m", "dop_core.cli.run", json.dumps(request)],
                                    env={**env, PARENT_PID: str(os.getpid())}, cwd=project.root,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    bufsize=1, start_new_session=True, pass_fds=(lock_fd,))
        stopper.child = proc
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        return _follow(project, request, proc, full_refresh, target, say, stopper, fmt, sink)
    finally:
        if isinstance(proc, subprocess.Popen) and stopper.signum is None:  # unless one started meanwhile
            start_server(project.root, env, project.dop_dir / "logs" / "run-server.log")


def _follow(project: Project, request: dict[str, Any], proc: Any, full_refresh: bool, target: str, say: Any,
            stopper: _Stopper, fmt: str, sink: Callable[[dict[str, Any]], None] | None) -> int:
    """Follow the runner ``proc``: its checks, then the run (its progress shown, its log written); the status."""
    from dop_core.cli.run_output import RunReport, use_colour
    from dop_core.cli.run_results import TASK_MARK, run_folder

    dag_id, day = request["dag_id"], request["date"]
    result: dict[str, Any] | None = None
    assert proc.stdin is not None and proc.stdout is not None
    lines = map(redact, proc.stdout)
    before, ready = _checked(lines)
    if ready is None or "error" in ready or stopper.signum is not None:
        return _not_started(proc, before, ready, stopper, dag_id)
    selection = Selection(tuple(ready["selected"]), tuple(ready["unselected"]))
    only = selection.selected if selection.unselected else ()
    headline = (f"Running {dag_id} for {day}" + (" (full refresh)" if full_refresh else "")
                + f" on target {target}" + (f" ({len(only)} of {len(only) + len(selection.unselected)} tasks "
                                            "selected)" if only else ""))
    say(headline)
    log_dir = private_dir(project.dop_dir / "logs" / "runs" / dag_id, under=project.root)
    log_path, log_file = _new_log(log_dir, day + ("-full-refresh" if full_refresh else ""),
                                  f"[dop] {headline} (PID {os.getpid()}, {dt.datetime.now().isoformat()})")
    run_id = f"{dag_id}.{log_path.name.removesuffix('.log')}"
    report = RunReport(dag_id, day, target, full_refresh, run_id, run_folder(project.dop_dir, run_id, project.root),
                       project.root, log_path, selection, say,
                       colour=use_colour(sys.stderr if fmt == "json" else sys.stdout), fmt=fmt, sink=sink)
    with contextlib.suppress(OSError):  # a runner stopped meanwhile: what it said follows
        proc.stdin.write(json.dumps({"log": str(log_path)}) + "\n")
        proc.stdin.close()
    with log_file:
        if not isinstance(proc, subprocess.Popen):
            log_file.write(f"[dop] its runner (PID {proc.pid}) was forked by the project's run server\n")
        log_file.writelines(before)
        for line in lines:
            if line.startswith(RESULT_MARK):
                result = json.loads(line[len(RESULT_MARK):])
            elif line.startswith(TASK_MARK):
                report.task_ended(json.loads(line[len(TASK_MARK):]))
            else:
                log_file.write(line)
                report.log_line(line)
        proc.stdout.close()
        proc.wait()
        if stopper.signum is not None:
            log_file.write(_interrupted(stopper, dag_id, day, result) + "\n")
    if stopper.signum is not None:
        report.finish(result, "failed", signal.Signals(stopper.signum).name)
        print(f"\n{_interrupted(stopper, dag_id, day, result)}; full log: {os.path.relpath(log_path)}",
              file=sys.stderr)
        return 128 + stopper.signum
    if result is None:
        report.finish(result, "failed")
        tail = log_path.read_text(encoding="utf-8").splitlines()[-40:]
        print("\n".join(tail), file=sys.stderr)
        print(f"\nThe run did not complete (exit {proc.returncode}); full log: {log_path}", file=sys.stderr)
        return proc.returncode or 1
    if not result["tasks"]:  # never a success without running: Airflow made no task instance for this date
        report.finish(result, "failed")
        print(f"\nThe run of {dag_id} for {day} ran no task; full log: {log_path}", file=sys.stderr)
        return 1
    report.finish(result, result["state"])
    say(f"DAG run {result['state']}; full log: {os.path.relpath(log_path)}")
    return 0 if result["state"] == "success" else 1


def _checked(lines: Any) -> tuple[list[str], dict[str, Any] | None]:
    """The runner's output until its checks' outcome: the lines before it, and what :data:`READY_MARK` says, or
    ``{"error": ..., "code": ...}`` after :data:`ERROR_MARK`, or None when the runner ended without saying."""
    before: list[str] = []
    for line in lines:
        for mark in (READY_MARK, ERROR_MARK):
            if line.startswith(mark):
                return before, json.loads(line[len(mark):])
        before.append(line)
    return before, None


def _not_started(proc: Any, before: list[str], outcome: dict[str, Any] | None,
                 stopper: _Stopper, dag_id: str) -> int:
    """The runner stopped before its DAG run: interrupted, a check failed, or it crashed. Show why; the status."""
    assert proc.stdin is not None and proc.stdout is not None
    with contextlib.suppress(OSError):
        proc.stdin.close()
    with proc.stdout:
        rest = list(proc.stdout)
    proc.wait()
    if stopper.signum is not None:
        print(f"Interrupted ({signal.Signals(stopper.signum).name}) before {dag_id} started; nothing ran",
              file=sys.stderr, flush=True)
        return 128 + stopper.signum
    sys.stderr.writelines(before)
    if outcome is not None and "error" in outcome:
        print(outcome["error"], file=sys.stderr, flush=True)
        return int(outcome["code"])
    sys.stderr.writelines(map(redact, rest))
    print(f"\nThe runner of {dag_id} ended before its checks did (exit {proc.returncode})", file=sys.stderr,
          flush=True)
    return proc.returncode or 1


def _interrupted(stopper: _Stopper, dag_id: str, date: str, result: dict[str, Any] | None) -> str:
    """What an interrupted run did, in a sentence."""
    head = f"Interrupted ({signal.Signals(stopper.signum or signal.SIGINT).name}): {dag_id} for {date}"
    if stopper.killed:
        return (f"{head}: its runner did not stop within {stopper.grace:.0f}s and was killed with its tasks; "
                "the next `dop run` or `dop airflow` marks the DAG run failed")
    if result is None:
        return f"{head} stopped before its DAG run started"
    return f"{head} stopped; the DAG run and its unfinished tasks are marked failed"


def _new_log(folder: pathlib.Path, stem: str, headline: str) -> tuple[pathlib.Path, IO[str]]:
    """A new log file of one run, ``<stem>.<start time>.log`` (never one shared with another run), open for
    writing line by line and starting with ``headline``; ``<stem>.log`` links to the latest."""
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    for n in range(1, 1000):
        path = folder / f"{stem}.{stamp}{'' if n == 1 else f'-{n}'}.log"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        except FileExistsError:
            continue
        log_file = os.fdopen(fd, "w", encoding="utf-8", buffering=1)  # the caller closes it
        log_file.write(headline + "\n")
        latest, link = folder / f"{stem}.log", folder / f".{stem}.{os.getpid()}.link"
        with contextlib.suppress(OSError):  # a folder without symbolic links only misses the shortcut
            link.unlink(missing_ok=True)
            link.symlink_to(path.name)
            os.replace(link, latest)
        return path, log_file
    raise RuntimeError(f"no free log file name for {stem} in {folder}")


def _readable(lines: list[str]) -> list[str]:
    """Drop Airflow's bookkeeping lines from a task's log section, keep what the task said; a Python
    traceback is shown as its error alone (the full log keeps it)."""
    noise = ("Task instance state updated", "Updating RenderedTaskInstanceFields", "Task started",
             "::group::", "::endgroup::", "[DAG TEST]")
    return [line for line in _without_tracebacks(lines) if not any(n in line for n in noise)]


_LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\dT")
_CHAINED = ("The above exception was the direct cause", "During handling of the above exception")


def _without_tracebacks(lines: list[str]) -> list[str]:
    """``lines`` with each traceback replaced by the message of the exception it ends with (of a chain of
    exceptions, the last: the one raised), without the exception's module path."""
    out: list[str] = []
    error: list[str] | None = None  # the exception's lines, once a traceback's frames are over
    inside = False
    for line in lines:
        if line.startswith("Traceback (most recent call last):"):
            inside, error = True, None
        elif not inside:
            out.append(line)
        elif _LOG_RECORD.match(line):  # the next log record ends the traceback
            out += _error_lines(error)
            inside, error = False, None
            out.append(line)
        elif line.startswith(_CHAINED):
            error = None
        elif error is not None:
            error.append(line)
        elif line.strip() and not line.startswith((" ", "\t")):
            error = [re.sub(r"^(?:[A-Za-z_]\w*\.)+(?=\w+(?::|$))", "", line)]
    if inside:
        out += _error_lines(error)
    return out


def _error_lines(error: list[str] | None) -> list[str]:
    while error and not error[-1].strip():
        error.pop()
    return error or []


def _child(request: str) -> int:
    from dop_core.cli.interruption import Interruption, RunInterrupted
    from dop_core.secrets import redacted_fds

    asked = json.loads(request)
    logical = dt.datetime.fromisoformat(asked["date"]).replace(tzinfo=dt.UTC)
    interruption = Interruption(asked["dag_id"], logical, RESULT_MARK)
    with redacted_fds() as unredacted:
        interruption.out = unredacted  # its last words (states only) must not wait behind the redacting thread
        try:
            interruption.listen()
            die_with_parent(signal.SIGINT)  # the parent's death stops us as its Ctrl-C would
            adopt_orphans()  # task commands that lose their parent stay below us, to be stopped with us
            selected = _check(asked)
            if selected is None or not _told_log():
                return 2
            code = _test(asked["dag_id"], logical, asked["conf"], selected, interruption)
            record_modules(pathlib.Path(os.environ["AIRFLOW_HOME"]))
            return code
        except RunInterrupted:
            interruption.finish()


def _check(asked: dict[str, Any]) -> list[str] | None:
    """The run's checks (:mod:`dop_core.cli.run_checks`), their outcome told to ``dop run``; the tasks to run, or
    None when a check failed."""
    from dop_core.cli.run_checks import check_run_date, checked_run
    from dop_core.config.project import load_project
    from dop_core.errors import DopError, shown

    day = dt.date.fromisoformat(asked["date"])
    logs = pathlib.Path(os.environ["AIRFLOW__LOGGING__BASE_LOG_FOLDER"])
    had_logs = logs.exists()
    try:
        project = load_project(os.environ["DOP_PROJECT_DIR"])
        built, selection = checked_run(project, asked["dag"], asked["target"], day, asked["conf"], asked["select"],
                                       asked["exclude"], asked["only"])
        check_run_date(built, day)
    except DopError as exc:
        if not had_logs:  # the empty folder Airflow's logging made when imported: a refused run leaves no trace
            with contextlib.suppress(OSError):
                logs.rmdir()
        text, code = shown(exc)
        print(ERROR_MARK + json.dumps({"error": text, "code": code}), flush=True)
        return None
    print(READY_MARK + json.dumps({"selected": selection.selected, "unselected": selection.unselected}), flush=True)
    return list(selection.selected) if selection.unselected else []


def _told_log() -> bool:
    """Wait for ``dop run`` to say where the run's log is (it opens it once the checks passed); False if it
    went away instead. Stdin is /dev/null afterwards, for the tasks' commands."""
    told = sys.stdin.readline()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if not told:
        return False
    os.environ["DOP_RUN_LOG"] = json.loads(told)["log"]  # finished by Interruption if `dop run` dies
    return True


def _test(dag_id: str, logical: dt.datetime, conf: dict[str, Any], only: list[str], interruption: Any) -> int:
    from airflow.dag_processing.dagbag import DagBag

    from dop_core.cli.execution_api import latest_api_only
    from dop_core.cli.interruption import fail_abandoned_runs
    from dop_core.cli.run_history import start_runs_now, task_log_paths
    from dop_core.cli.run_results import TaskRecorder, task_results
    from dop_core.cli.selection import subset

    for run in fail_abandoned_runs(pathlib.Path(os.environ["AIRFLOW_HOME"])):
        print(f"[dop] marked the DAG run {run} failed: the `dop run` that started it was killed", flush=True)
    folder = os.environ["AIRFLOW__CORE__DAGS_FOLDER"]
    with _parsing_context(dag_id):  # DOP's DAG files build this DAG only (dag.test syncs the others itself)
        bag = DagBag(dag_folder=folder)
    for path, error in bag.import_errors.items():
        print(f"Import error in {path}:\n{error}", flush=True)
    dag = bag.dags.get(dag_id)
    if dag is None:
        print(f"DAG {dag_id} is not in {folder}; DAGs found: {', '.join(sorted(bag.dags)) or 'none'}", flush=True)
        return 2
    ensure_pools(bag.dags.values())
    dag = subset(dag, only)  # the tasks selected, without the others
    # midnight UTC keeps ds the date asked for; a start_date later that day (a time zone west of UTC) moves
    # the run to it, or Airflow would create no task instance
    if dag.start_date is not None and dag.start_date > logical:
        logical = interruption.logical_date = dag.start_date
    for task in dag.tasks:
        task.retries = 0  # each task runs once here: retries (3 every 5 minutes by default) are the scheduler's
    latest_api_only()
    interruption.check_tasks()
    recorder = TaskRecorder(lambda line: print(line, flush=True))
    recorder.install()
    start_runs_now()  # the Airflow UI shows the run's real start, not its logical date
    dr = dag.test(logical_date=logical, run_conf=conf or None)
    results = task_results(dag, dr, recorder.errors)
    states = {task["task_id"]: task["state"] for task in results}
    print(RESULT_MARK + json.dumps({"state": _text(dr.state), "tasks": states, "run_id": dr.run_id,
                                    "results": results, "airflow_logs": task_log_paths(dr)}), flush=True)
    return 0


@contextlib.contextmanager
def _parsing_context(dag_id: str) -> Iterator[None]:
    """Airflow's DAG parsing context (``airflow.sdk.get_parsing_context()``) naming ``dag_id``, as a worker sets it
    when it parses a DAG file to run a task of that DAG."""
    from airflow.sdk.definitions.context import _AIRFLOW_PARSING_CONTEXT_DAG_ID as NAME

    before = os.environ.get(NAME)
    os.environ[NAME] = dag_id
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NAME, None)
        else:
            os.environ[NAME] = before


def ensure_pools(dags: Any) -> list[str]:
    """Create the Airflow pools that DOP tasks ask for and that do not exist yet; return their names.

    A task asks by carrying ``dop_pool_slots`` (and optionally ``dop_pool_description``) next to its
    ``pool``; dop-dbt does so for its one-slot pool per dbt project. Tasks in a missing pool are
    never scheduled, and an operator cannot create its own pool, so the process that owns the
    Airflow database creates them (``dop run``, and ``dop airflow`` through :func:`prepare_database`).
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


def _prepare() -> int:
    """``python -m dop_core.cli.run prepare``: create the pools the project's DAGs ask for and mark failed the
    DAG runs left unfinished by killed ``dop run``s (``dop airflow``, before its scheduler starts)."""
    from airflow.dag_processing.dagbag import DagBag

    from dop_core.cli.interruption import fail_abandoned_runs

    for run in fail_abandoned_runs(pathlib.Path(os.environ["AIRFLOW_HOME"])):
        print(f"marked the DAG run {run} failed: the `dop run` that started it was killed", flush=True)
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    for name in ensure_pools(bag.dags.values()):
        print(f"created Airflow pool {name}", flush=True)
    return 0


def prepare_database(env: dict[str, str]) -> None:
    """Prepare the Airflow database of ``env`` for a scheduler (:func:`_prepare`; a subprocess: Airflow reads
    its configuration when first imported)."""
    result = subprocess.run([sys.executable, "-m", "dop_core.cli.run", "prepare"], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"preparing the Airflow database failed:\n{result.stdout[-2000:]}\n"
                           f"{result.stderr[-2000:]}")
    for line in result.stdout.splitlines():
        if line.startswith(("created Airflow pool", "marked the DAG run")):
            print(line, flush=True)


if __name__ == "__main__":
    exit_now(_prepare() if sys.argv[1:2] == ["prepare"] else _child(sys.argv[1]))
