"""The operator of dbt tasks: runs the dbt command in a subprocess, never imports dbt.

dbt spends over a second importing itself before it reads a file. With DOP's own dbt virtualenv, the first
dbt command of a machine also starts a *dbt server* in the background (:class:`dop_core.ForkServer`): a
Python of that virtualenv with dbt imported, which forks each later dbt command instead of starting a new
Python. The command is unchanged: same arguments, environment, folder, output and exit status, dbt's own
``cli()``. ``DOP_DBT_SERVER=0`` turns it off; it stops after ``DOP_DBT_SERVER_IDLE`` seconds without a
command (default 600).

``execute``: find (or build) the dbt executable, check its version, write the profile for the DOP
target, run dbt with Airflow's context as ``--vars`` and the run id in ``DOP_RUN_ID`` (holding the DuckDB
warehouse's lock while it runs), stream its output into the task log, then summarise ``run_results.json``,
append it to the run-results table and publish docs. A failed model or test fails the task.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import shutil
import signal
import subprocess
import time
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from dop_core import DopError, VariableParamsMixin
from dop_dbt.options import FULL_REFRESH_TARGETS, TARGETS
from dop_dbt.settings import ADAPTERS, DbtSettings

if TYPE_CHECKING:
    from dop_core import ForkServer

log = logging.getLogger(__name__)

DEFAULT_RESULTS_TABLE = "dbt_run_results"
#: Airflow context values passed to dbt as --vars (``{{ var('ds') }}`` in models). Nothing that differs
#: between the tasks of one run (such as the task id) nor between two runs of one date (such as the run id):
#: dbt re-parses the whole project when its vars change, instead of reusing its partial parse.
CONTEXT_VARS = ("ds", "ds_nodash", "ts", "ts_nodash", "ts_nodash_with_tz", "logical_date", "data_interval_start",
                "data_interval_end", "prev_data_interval_start_success")
#: the environment variable that gives dbt the Airflow run's id (``{{ env_var('DOP_RUN_ID') }}`` in a model)
RUN_ID_ENV = "DOP_RUN_ID"
#: seconds dbt has to cancel its queries and exit once its task is stopped, before SIGKILL
STOP_SECONDS = 30
#: ``0`` turns the dbt server off (each dbt command starts its own Python)
SERVER_SWITCH = "DOP_DBT_SERVER"
#: seconds the dbt server waits for a command before it exits (default 600)
SERVER_IDLE = "DOP_DBT_SERVER_IDLE"
#: what the dbt server imports ahead, besides the target's adapter: dbt's command line and its commands
SERVER_PRELOAD = ("dbt.cli.main", "dbt.task.run", "dbt.task.build", "dbt.task.test", "dbt.task.seed",
                  "dbt.task.snapshot", "dbt.task.compile", "dbt.compilation", "sqlparse", "multiprocessing.dummy")


_VERSIONS: dict[str, str] = {}  # dbt executable -> its version, found once per process


class DbtFailed(DopError):
    """dbt exited with an error, or a model or test failed."""


def airflow_vars(context: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in CONTEXT_VARS:
        value = context.get(key)
        if value is None:
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    dag = context.get("dag")
    if dag is not None:
        out["dag_id"] = dag.dag_id
    out["full_refresh"] = _full_refresh(context)
    params = context.get("params") or {}
    out["params"] = {k: v for k, v in dict(params).items() if isinstance(v, str | int | float | bool) or v is None}
    return out


def run_env(context: Any) -> dict[str, str]:
    """What changes at every run, for dbt's environment rather than its ``--vars``: the run id."""
    run_id = context.get("run_id")
    return {RUN_ID_ENV: str(run_id)} if run_id else {}


def _full_refresh(context: Any) -> bool:
    from dop_core import full_refresh_of

    return full_refresh_of(context)


def parse_vars(value: Any) -> dict[str, Any]:
    """A ``--vars`` value: a mapping, or YAML/JSON text of one."""
    if isinstance(value, dict):
        return dict(value)
    from ruamel.yaml import YAML

    loaded = YAML(typ="safe", pure=True).load(str(value))
    if not isinstance(loaded, dict):
        raise DbtFailed(f"--vars must be a mapping such as {{key: value}}, got {value!r}")
    return dict(loaded)


def command_line(executable: str, target: str, project_dir: str, profiles_dir: str, profile: str,
                 arguments: list[list[Any]], variables: dict[str, Any], full_refresh: bool) -> list[str]:
    """The dbt command: sub-command, DOP's own flags, the task's arguments, ``--vars``, ``--full-refresh``."""
    cmd = [executable, *TARGETS[target], "--project-dir", project_dir]
    if target != "deps":
        cmd += ["--profiles-dir", profiles_dir, "--profile", profile, "--target", "dop"]
    merged = dict(variables)
    given = set()
    for option, value in arguments:
        given.add(option)
        if option == "--vars":
            merged.update(parse_vars(value))
            continue
        if option == "--full-refresh":
            if target in FULL_REFRESH_TARGETS:
                cmd.append(option)
            continue
        cmd.append(option)
        if value is not None and value != "":
            cmd.append(str(value))
    if target not in ("deps",):
        cmd += ["--vars", json.dumps(merged, sort_keys=True, default=str)]
    if full_refresh and target in FULL_REFRESH_TARGETS and "--full-refresh" not in given:
        cmd.append("--full-refresh")
    return cmd


class DbtOperator(VariableParamsMixin, BaseOperator):
    """Runs one dbt command (``dbt run``, ``dbt test``...) for a DOP task, as a subprocess."""

    template_fields: Any = ("arguments",)
    template_fields_renderers = {"arguments": "json"}
    ui_color = "#ffe3cc"

    def __init__(self, *, dbt_target: str, dbt_project_dir: str, dbt_project_name: str, profile: str,
                 dbt_target_path: str, dop_target: Any, project_root: str, schema: str,
                 settings: DbtSettings, arguments: list[list[Any]] | None = None, version: str | None = None,
                 results_table: str | None = DEFAULT_RESULTS_TABLE, database: str | None = None,
                 docs_destination: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dbt_target = dbt_target
        self.dbt_project_dir = dbt_project_dir
        self.dbt_project_name = dbt_project_name
        self.profile = profile
        self.dbt_target_path = dbt_target_path
        self.dop_target = dop_target
        self.project_root = project_root
        self.schema = schema
        self.database = database
        self.settings = settings
        self.arguments = [list(a) for a in (arguments or [])]
        self.version = version
        self.results_table = results_table
        self.docs_destination = docs_destination

    # -- the dbt command -------------------------------------------------------------------------
    def _executable(self) -> str:
        if self.settings.executable:
            found = shutil.which(self.settings.executable)
            if not found:
                raise DbtFailed(f"plugins.dbt.executable is {self.settings.executable!r}, which is not a command "
                                "on PATH nor a file; install dbt there or remove the setting to let DOP build "
                                "its own dbt virtualenv")
            return found
        from dop_dbt import venv

        reqs = venv.requirements_for(self.settings.requirement, self.dop_target.engine)
        where = venv.location(pathlib.Path(self.project_root), self.settings.venv, reqs)
        return str(venv.ensure(where, reqs))

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        env.update({"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1", "DBT_USE_COLORS": "false",
                    "DBT_LOG_PATH": str(pathlib.Path(self.project_root) / ".dop" / "logs" / "dbt"
                                        / pathlib.Path(self.dbt_project_dir).name),
                    "DBT_VERSION_CHECK": "false", "PYTHONUNBUFFERED": "1"})
        env.update(self.settings.env or {})
        return env

    def _check_version(self, executable: str) -> str | None:
        """With ``options.version``: the version ``dbt --version`` reports; a mismatch is logged as a warning
        (``dop validate`` warned already): the dbt there is runs, as the original DOP's projects expect."""
        from dop_dbt.versions import installed_version, matches, venv_version

        if not self.version:  # finding the version costs seconds: only when the task names one
            return None
        found = _VERSIONS.get(executable) or venv_version(pathlib.Path(executable).parent.parent)
        if found is None:
            result = subprocess.run([executable, "--version"], capture_output=True, text=True, env=self._env(),
                                    check=False, timeout=300)
            found = installed_version(result.stdout + result.stderr)
        if found:
            _VERSIONS[executable] = found
        if found is None or not matches(self.version, found):
            log.warning("task %r asks for dbt %s (options.version); running dbt-core %s from %s instead "
                        "(change options.version or plugins.dbt.requirement in dop_project.yml)",
                        self.task_id, self.version, found or "of an unknown version", executable)
            return None
        return found

    def _target_dir(self) -> pathlib.Path:
        path = self.dbt_target_path
        for option, value in self.arguments:
            if option == "--target-path" and value:
                path = str(value)
        p = pathlib.Path(path)
        return p if p.is_absolute() else pathlib.Path(self.dbt_project_dir) / p

    def execute(self, context: Any) -> Any:
        from dop_dbt import profiles

        executable = self._executable()
        found = self._check_version(executable)
        if found:
            log.info("dbt %s at %s matches options.version %s", found, executable, self.version)
        slug = pathlib.Path(self.dbt_project_dir).name
        profiles_dir = profiles.write(pathlib.Path(self.project_root) / ".dop" / "dbt-profiles" /
                                      f"{slug}-{self.dop_target.name}-{self.schema}", self.profile,
                                      self.dop_target, self.schema, self.settings)
        full_refresh = _full_refresh(context)
        cmd = command_line(executable, self.dbt_target, self.dbt_project_dir, str(profiles_dir), self.profile,
                           self.arguments, airflow_vars(context), full_refresh)
        log.info("Running: %s", " ".join(cmd))
        results_path = self._target_dir() / "run_results.json"
        started = time.time()
        from dop_core import warehouse_lock

        # the lock DOP's engine takes on the target's warehouse (a DuckDB file), so dbt has it to itself
        with warehouse_lock(self.dop_target):
            code = self._stream(cmd, run_env(context))
        results = None
        if results_path.is_file() and results_path.stat().st_mtime >= started - 1:
            from dop_dbt import artifacts

            results = artifacts.read(results_path)
            log.info("%s", artifacts.summary(results))
            self._record(results, context)
        if code == 0 and self.dbt_target == "docs generate":
            self._publish_docs()
        failed = results.failed if results is not None else []
        if code != 0 or failed:
            names = ", ".join(n.unique_id for n in failed)
            raise DbtFailed(f"dbt {self.dbt_target} failed (exit {code})" + (f": {names}" if names else "")
                            + f" [dbt project {self.dbt_project_name}, task {self.task_id!r}]; "
                            "see dbt's output above")
        return {"exit_code": code, "nodes": len(results.nodes) if results else 0}

    def _server(self, executable: str, env: dict[str, str]) -> ForkServer | None:
        """The dbt server of DOP's dbt virtualenv (None: off, or a dbt of the user's, ``plugins.dbt.executable``,
        whose Python DOP does not know)."""
        from dop_core import ForkServer

        if self.settings.executable or ForkServer.turned_off(env.get(SERVER_SWITCH)):
            return None

        adapter = ADAPTERS.get(self.dop_target.engine, "").removeprefix("dbt-")
        preload = SERVER_PRELOAD + ((f"dbt.adapters.{adapter}",) if adapter else ())
        # dbt reads DBT_PACKAGE_HUB_URL when imported: a server is made per value
        return ForkServer(pathlib.Path(executable).with_name("python"), "dbt.cli.main:cli", preload, env=env,
                          import_env=("DBT_PACKAGE_HUB_URL",))

    def _stream(self, cmd: list[str], env: dict[str, str]) -> int:
        env = {**self._env(), **env}
        server = self._server(cmd[0], env)
        proc: Any = server.spawn(cmd, env=env, cwd=self.dbt_project_dir) if server else None
        if proc is not None:
            log.info("dbt (PID %d) was forked by the dbt server, dbt already imported", proc.pid)
        else:
            proc = subprocess.Popen(cmd, cwd=self.dbt_project_dir, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, bufsize=1)
            if server:  # for the next dbt commands
                server.start(env=env, log=pathlib.Path(self.project_root) / ".dop" / "logs" / "dbt-server.log",
                             idle=env.get(SERVER_IDLE))
        self._proc = proc
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                log.info("dbt: %s", line.rstrip())
        except BaseException:  # the task was stopped meanwhile (its timeout, Ctrl-C): dbt too, not waited for
            self.on_kill()
            raise
        finally:
            code = proc.wait()
        return code

    def on_kill(self) -> None:
        """Airflow stops the task (or its timeout does): stop dbt too. First SIGINT, which dbt takes as Ctrl-C: it
        cancels its running queries (a warehouse's jobs) and exits; SIGKILL if it has not after
        :data:`STOP_SECONDS`."""
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            log.warning("stopping dbt (PID %d): SIGINT, dbt cancels its running queries", proc.pid)
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("dbt (PID %d) still running %ds after SIGINT: SIGKILL", proc.pid, STOP_SECONDS)
                proc.kill()

    # -- artifacts ---------------------------------------------------------------------------------
    def _record(self, results: Any, context: Any) -> None:
        if not self.results_table or self.results_table.lower() == "none":
            return
        from dop_core import connect
        from dop_dbt import artifacts

        schema, _, table = self.results_table.rpartition(".")
        schema = schema or self.schema
        row_context = {"dag_id": getattr(context.get("dag"), "dag_id", None), "task_id": self.task_id,
                       "run_id": context.get("run_id"), "ds": context.get("ds"),
                       "dbt_project": self.dbt_project_name, "dbt_command": self.dbt_target,
                       "dop_target": self.dop_target.name}
        try:
            with connect(self.dop_target) as engine:
                n = artifacts.append(engine, schema, table, self.database, results, row_context)
        except Exception as exc:  # losing the record must not hide dbt's own outcome
            log.warning("could not append dbt run results to %s.%s: %s: %s", schema, table, type(exc).__name__, exc)
            return
        log.info("appended %d dbt result row(s) to %s.%s", n, schema, table)

    def _publish_docs(self) -> None:
        from dop_dbt import artifacts

        destination = self.docs_destination or f".dop/dbt-docs/{pathlib.Path(self.dbt_project_dir).name}"
        where = artifacts.publish_docs(self._target_dir(), destination, pathlib.Path(self.project_root))
        log.info("dbt docs published to %s", where)
