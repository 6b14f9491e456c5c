"""``dop airflow``: Airflow 3 for the project on localhost, in the DOP-managed home under ``.dop/``.

Not ``airflow standalone`` (its scheduler and triggerer serve logs on 0.0.0.0 and it starts dozens of
workers): four components are started separately, bound to 127.0.0.1, with the LocalExecutor on
SQLite, low parallelism, and Airflow's simple auth manager with one ``admin`` user whose generated
password is kept in ``.dop/airflow/passwords.json``.

Each component runs under a guard (:mod:`dop_core.cli.processes`) leading its own process group: Ctrl-C
(SIGINT) or SIGTERM to ``dop airflow`` stops every guard, which stops its component (SIGTERM, then
SIGKILL for the whole tree after a grace period), and ``dop airflow`` exits 0. The guards die with
``dop airflow`` even when it is killed outright (SIGKILL), taking their components with them.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from dop_core.cli.airflow_home import airflow_env, airflow_home, ensure_database
from dop_core.cli.processes import PARENT_PID, guarded
from dop_core.cli.run import prepare_database
from dop_core.config.models import Project
from dop_core.errors import DopError
from dop_core.util.private import open_private, private_dir

USER = "admin"
COMPONENTS: dict[str, list[str]] = {
    "api-server": ["api-server"],  # host and port come from the environment, see ui_env
    "scheduler": ["scheduler", "--skip-serve-logs"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer", "--skip-serve-logs"],
}
START_TIMEOUT = 180.0
#: seconds a component has to stop after SIGTERM before its whole process tree is killed
STOP_GRACE = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _secret(path: pathlib.Path) -> str:
    """A random secret kept in ``path`` (created once, readable by the owner only)."""
    if path.is_file() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return value


def login(project: Project) -> tuple[str, str]:
    """The local UI's user and password (generated on first use, kept in ``.dop/airflow/passwords.json``)."""
    path = airflow_home(project) / "passwords.json"
    passwords: dict[str, str] = {}
    if path.is_file():
        with contextlib.suppress(ValueError):
            passwords = json.loads(path.read_text(encoding="utf-8"))
    if not passwords.get(USER):
        passwords[USER] = secrets.token_urlsafe(12)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords) + "\n", encoding="utf-8")
        path.chmod(0o600)
    return USER, passwords[USER]


def ui_env(project: Project, port: int, target: str | None = None) -> dict[str, str]:
    """The environment of every component: :func:`airflow_env` plus the UI, auth and worker settings."""
    home = airflow_home(project)
    login(project)
    env = airflow_env(project, target)
    base_url = f"http://127.0.0.1:{port}"
    env.update({
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__API__SECRET_KEY": _secret(home / "api_secret_key"),
        "AIRFLOW__API_AUTH__JWT_SECRET": _secret(home / "jwt_secret"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager."
                                       "SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "4",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "10",
        "AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL": "15",
        "AIRFLOW__TRIGGERER__CAPACITY": "50",
    })
    return env


class AirflowProcesses:
    """The four Airflow components of one project, each under a guard leading its own process group."""

    def __init__(self, project: Project, port: int, target: str | None = None):
        self.project = project
        self.port = port
        self.env = ui_env(project, port, target)
        self.log_dir = project.dop_dir / "logs" / "airflow"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        private_dir(self.log_dir, under=self.project.root)
        env = {**self.env, PARENT_PID: str(os.getpid())}
        for name, args in COMPONENTS.items():
            with open_private(self.log_dir / f"{name}.log", "ab") as log:
                self.procs[name] = subprocess.Popen(
                    guarded([sys.executable, "-m", "airflow", *args], STOP_GRACE), env=env,
                    cwd=self.project.root, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)

    def exited(self) -> str | None:
        """The name of a component that stopped on its own, if any."""
        return next((name for name, proc in self.procs.items() if proc.poll() is not None), None)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5) as response:
                health = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return False
        return all(health.get(part, {}).get("status") == "healthy" for part in ("metadatabase", "scheduler"))

    def stop(self) -> None:
        """SIGTERM to each guard (it stops its component's tree), wait, then SIGKILL each process group."""
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE + 5
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for proc in self.procs.values():  # children the components left behind in their groups
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        return "\n".join(text.splitlines()[-lines:])


def serve(project: Project, port: int = 8080, target: str | None = None,
          echo: Callable[[str], None] = lambda text: print(text, flush=True)) -> int:
    """Run Airflow for ``project`` until SIGINT/SIGTERM; return the exit status (0 after a clean stop)."""
    port = port or free_port()
    if _port_in_use(port):
        raise DopError(f"port {port} on 127.0.0.1 is in use (another `dop airflow`?); "
                       "choose one with --port N")
    stop_requested: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stop_requested.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    airflow = AirflowProcesses(project, port, target)
    try:
        ensure_database(project, airflow.env)
        prepare_database(airflow.env)  # pools (e.g. dop-dbt's one per dbt project), runs left by killed dop runs
        if stop_requested:
            return 0
        user, password = login(project)
        echo(f"Starting Airflow for {project.name} (logs in {os.path.relpath(airflow.log_dir)}/)...")
        airflow.start()
        started, ready = time.monotonic(), False
        while not stop_requested:
            if (name := airflow.exited()) is not None:
                echo(f"error: the Airflow {name} stopped (exit {airflow.procs[name].returncode}); "
                     f"last lines of {airflow.log_dir / (name + '.log')}:\n{airflow.log_tail(name)}")
                return 1
            if not ready and airflow.healthy():
                ready = True
                echo(f"\nAirflow is running: {airflow.url}\n  user:     {user}\n  password: {password}\n"
                     "The DOP DAGs are paused when first seen: unpause one, or trigger it "
                     "(tick 'Full refresh' in the trigger form to rebuild every table).\n"
                     "Press Ctrl-C to stop.")
            elif not ready and time.monotonic() - started > START_TIMEOUT:
                echo(f"error: Airflow did not become healthy in {START_TIMEOUT:.0f}s; "
                     f"see the logs in {airflow.log_dir}:\n{airflow.log_tail('api-server')}")
                return 1
            time.sleep(0.5)
        echo("\nStopping Airflow...")
        return 0
    finally:
        airflow.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if stop_requested:
            echo("Airflow stopped.")
