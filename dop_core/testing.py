"""A pytest plugin for testing DOP plugins and projects (loaded automatically: entry point ``pytest11``).

Fixtures:

- ``dop_plugin_manager``: a fresh plugin manager with DOP's built-ins only (installed plugins are
  *not* autoloaded), made the process-wide one for the test and restored afterwards;
- ``register_plugin``: ``register_plugin(module_or_object)`` registers a plugin on that manager and
  always unregisters it at teardown;
- ``dop_project``: a :class:`ProjectFactory` writing a throw-away service project under ``tmp_path``;
- ``unanswering_port`` / ``refusing_port``: a loopback port that accepts connections and never answers,
  and one that refuses them (an engine's timeouts and its messages about unreachable servers).

Helpers: :func:`build_dag_from_yaml` builds one DAG from a config's YAML text; :func:`run_dop`
runs the ``dop`` command line in a subprocess, as a user would; :func:`registration_imports` shows
what registering a plugin costs every parse of the DAG files.

Importing this module is cheap (no Airflow); fixtures import what they use.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest

DEFAULT_PROJECT_YML = "name: test_project\n"


_THROWAWAY_AIRFLOW_HOME: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Keep tests away from the user's ~/airflow: a throw-away AIRFLOW_HOME unless one is set."""
    if "AIRFLOW_HOME" not in os.environ:
        import tempfile

        os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="dop-test-airflow-")
        _THROWAWAY_AIRFLOW_HOME.append(os.environ["AIRFLOW_HOME"])
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the throw-away AIRFLOW_HOME made by :func:`pytest_configure`."""
    import shutil

    while _THROWAWAY_AIRFLOW_HOME:
        home = _THROWAWAY_AIRFLOW_HOME.pop()
        shutil.rmtree(home, ignore_errors=True)
        if os.environ.get("AIRFLOW_HOME") == home:
            del os.environ["AIRFLOW_HOME"]


class ProjectFactory:
    """Writes a service project: ``dop_project.yml``, DAG folders, SQL files and the DAG file."""

    def __init__(self, root: pathlib.Path, project_yml: str = DEFAULT_PROJECT_YML):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.write("dop_project.yml", project_yml)
        self.write("dags/dop_dags.py", "from dop_core import build_dags\n\n"
                   "globals().update(build_dags(__file__))  # DOP builds the Airflow DAGs\n")

    def write(self, relative: str, text: str) -> pathlib.Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def dag(self, name: str, config: str, sql: dict[str, str] | None = None,
            files: dict[str, str] | None = None) -> pathlib.Path:
        """Write ``orchestration/<name>/config.yaml`` and ``sql/<task>.sql`` for each entry of ``sql``."""
        folder = self.root / "orchestration" / name
        self.write(f"orchestration/{name}/config.yaml", config)
        for task, text in (sql or {}).items():
            self.write(f"orchestration/{name}/sql/{task}.sql", text)
        for relative, text in (files or {}).items():
            self.write(f"orchestration/{name}/{relative}", text)
        return folder

    def build(self, target: str | None = None) -> dict[str, Any]:
        """Every DAG of the project, as Airflow would get them from ``dags/dop_dags.py``."""
        from dop_core.build.dags import build_dags

        return build_dags(self.root, target)

    def project(self) -> Any:
        from dop_core.project import load_project

        return load_project(self.root)


def build_dag_from_yaml(config: str, root: pathlib.Path, sql: dict[str, str] | None = None, name: str = "test",
                        project_yml: str = DEFAULT_PROJECT_YML) -> Any:
    """Build the DAG ``dop__<name>`` from YAML text; raise ConfigError if it does not validate."""
    from dop_core.build.dags import build_one

    factory = ProjectFactory(root, project_yml)
    factory.dag(name, config, sql)
    return build_one(factory.project(), name)


def run_dop(*args: str, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``dop ARGS...`` in a subprocess (no ``DOP_*`` variables inherited unless given in ``env``)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DOP_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "dop_core.cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


_REGISTRATION_PROBE = """
import json, sys
import attrs
from dop_core import plugins
plugins.get_registry()  # dop-core and its built-in kinds: loaded by every parse anyway
before = set(sys.modules)
module = __import__(sys.argv[1], fromlist=["_"])
records = [r for hook in plugins.REGISTRATION_HOOKS if hasattr(module, hook) for r in getattr(module, hook)()]
imported = sorted(set(sys.modules) - before)
models = [r.options_model for r in records]  # every options model resolves to an attrs class
assert all(attrs.has(m) for m in models), models
print(json.dumps({"imported": imported, "records": len(records)}))
"""


def registration_imports(module: str) -> list[str]:
    """The modules that importing plugin ``module`` (what its entry point names) and calling its
    registration hooks imports, in a fresh interpreter that already holds dop-core; every options model
    it registers is checked to resolve. Airflow pays this at every parse of the DAG files, so a plugin
    should import little more than itself: ``assert registration_imports("my_plugin.plugin") ==
    ["my_plugin", "my_plugin.plugin"]``."""
    import json

    env = {**os.environ, "DOP_DISABLE_PLUGINS": "all"}
    result = subprocess.run([sys.executable, "-c", _REGISTRATION_PROBE, module], capture_output=True, text=True,
                            env=env, timeout=300, check=False)
    if result.returncode != 0:
        raise AssertionError(f"registering {module} failed:\n{result.stderr}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    if not data["records"]:
        raise AssertionError(f"{module} registers nothing")
    return list(data["imported"])


@pytest.fixture
def dop_plugin_manager() -> Iterator[Any]:
    """A plugin manager with only DOP's built-in plugins, installed as the process-wide one."""
    from dop_core import plugins

    saved = (plugins._State.pm, plugins._State.registry)
    pm = plugins.new_plugin_manager()
    infos = plugins.load_plugins(pm, autoload=False)
    plugins._State.pm, plugins._State.registry = pm, plugins.collect(pm, infos)
    try:
        yield pm
    finally:
        plugins._State.pm, plugins._State.registry = saved


@pytest.fixture
def register_plugin(dop_plugin_manager: Any) -> Iterator[Callable[..., Any]]:
    """``register_plugin(plugin, name=None)``: register on the test's manager; unregistered at teardown."""
    from dop_core import plugins

    registered: list[Any] = []

    def register(plugin: Any, name: str | None = None) -> Any:
        dop_plugin_manager.register(plugin, name=name)
        registered.append(plugin)
        return plugins.refresh()

    yield register
    for plugin in registered:
        if dop_plugin_manager.is_registered(plugin):
            dop_plugin_manager.unregister(plugin)
    plugins.refresh()


@pytest.fixture
def dop_project(tmp_path: pathlib.Path) -> ProjectFactory:
    """A throw-away service project under ``tmp_path/project``."""
    return ProjectFactory(tmp_path / "project")


@pytest.fixture
def unanswering_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections (the kernel completes them) and never answers."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


@pytest.fixture
def refusing_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connections are refused."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
