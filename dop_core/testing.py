"""A pytest plugin for testing DOP plugins and projects (loaded automatically: entry point ``pytest11``).

Fixtures:

- ``dop_plugin_manager``: a fresh plugin manager with DOP's built-ins only (installed plugins are
  *not* autoloaded), made the process-wide one for the test and restored afterwards;
- ``register_plugin``: ``register_plugin(module_or_object)`` registers a plugin on that manager and
  always unregisters it at teardown;
- ``installed_plugins``: a fresh process-wide plugin manager loading the installed plugins' entry points,
  as a new ``dop`` process does (restored afterwards);
- ``dop_project``: a :class:`ProjectFactory` writing a throw-away service project under ``tmp_path``;
- ``unanswering_port`` / ``refusing_port``: a loopback port that accepts connections and never answers,
  and one that refuses them (an engine's timeouts and its messages about unreachable servers).

Helpers: :func:`build_dag_from_yaml` builds one DAG from a config's YAML text; :func:`run_dop`
runs the ``dop`` command line in a subprocess, as a user would; :func:`registration_imports` shows
what registering a plugin costs every parse of the DAG files. An engine's tests check that it
protects a table's history with :func:`assert_history_protected` (over :func:`history_changes`),
:func:`assert_nullability_protected` and :func:`assert_same_shapes_pass`; :func:`secrets_in_clear` finds
planted secrets in a command's output, in files and in every row of SQLite databases (the Airflow DB). A
kind that declares ``validate_covers_build`` checks it with :func:`check_both_ways` (``dop validate`` with
every DAG built, and as it runs) and :func:`cold_check` (a cold ``dop validate`` imports no Airflow). A
fixture whose server or tool is missing calls :func:`missing_server`: the test fails under CI and is
skipped elsewhere. An engine running BigQuery
scripting checks it against BigQuery's documented semantics with :func:`check_script_case` over
``SCRIPT_CASES``, and its transactions and savepoints with :func:`check_transactions`.

What a plugin's tests drive in DOP's core, imported on first use: ``check_project`` (what ``dop validate``
reports), ``build_one`` (one DAG of a project, for a target), ``doctor_checks`` (what ``dop doctor`` shows),
``materialize_table`` and ``SchemaChanged`` (an engine's table writes and the refusal that keeps a table's
history), ``create_plugin``, ``plugin_name`` and ``template_dir`` (what ``dop new-plugin`` does).

Importing this module is cheap (no Airflow); fixtures import what they use.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

import attrs
import pytest

from dop_core.sql.scripting.cases import SCRIPT_CASES as SCRIPT_CASES
from dop_core.sql.scripting.cases import ScriptCase as ScriptCase
from dop_core.sql.scripting.cases import check_script_case as check_script_case
from dop_core.sql.scripting.cases import check_transactions as check_transactions

DEFAULT_PROJECT_YML = "name: test_project\n"


_THROWAWAY_AIRFLOW_HOME: list[str] = []
#: names the throw-away AIRFLOW_HOME of the pytest process that made it (its children inherit both variables)
_THROWAWAY_VARIABLE = "DOP_TEST_THROWAWAY_AIRFLOW_HOME"


def pytest_configure(config: pytest.Config) -> None:
    """Keep tests away from the user's ~/airflow: a throw-away AIRFLOW_HOME unless one is set. A pytest
    started by another one (a pytest-xdist worker, a test running pytest) gets its own rather than sharing
    the throw-away home of its parent, which removes it when it ends."""
    home = os.environ.get("AIRFLOW_HOME")
    if home is None or home == os.environ.get(_THROWAWAY_VARIABLE):
        import tempfile

        home = tempfile.mkdtemp(prefix="dop-test-airflow-")
        os.environ["AIRFLOW_HOME"] = os.environ[_THROWAWAY_VARIABLE] = home
        _THROWAWAY_AIRFLOW_HOME.append(home)
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the throw-away AIRFLOW_HOME made by :func:`pytest_configure`."""
    import shutil

    while _THROWAWAY_AIRFLOW_HOME:
        home = _THROWAWAY_AIRFLOW_HOME.pop()
        shutil.rmtree(home, ignore_errors=True)
        for name in ("AIRFLOW_HOME", _THROWAWAY_VARIABLE):
            if os.environ.get(name) == home:
                del os.environ[name]


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
        from dop_core.config.project import load_project

        return load_project(self.root)


def build_dag_from_yaml(config: str, root: pathlib.Path, sql: dict[str, str] | None = None, name: str = "test",
                        project_yml: str = DEFAULT_PROJECT_YML) -> Any:
    """Build the DAG ``dop__<name>`` from YAML text; raise ConfigError if it does not validate."""
    from dop_core.build.dags import build_one

    factory = ProjectFactory(root, project_yml)
    factory.dag(name, config, sql)
    return build_one(factory.project(), name)


#: the ``DOP_*`` variables that say how this machine runs DOP, not what a project is: :func:`clean_env` keeps them
#: (tox turns ``dop run``'s run server off for the tests, but for those that test it)
MACHINE_ENV = ("DOP_RUN_SERVER", "DOP_RUN_SERVER_IDLE", "DOP_DBT_SERVER", "DOP_DBT_SERVER_IDLE")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without its ``DOP_*`` variables (but :data:`MACHINE_ENV`), with ``extra``:
    the environment of a ``dop`` command a test starts in a project of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOP_") or k in MACHINE_ENV}
    env.update(extra)
    return env


def run_dop(*args: str, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``dop ARGS...`` in a subprocess (in :func:`clean_env`, with ``env``)."""
    full_env = clean_env(**(env or {}))
    return subprocess.run([sys.executable, "-m", "dop_core.cli.main", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def secret_spellings(secret: str) -> list[str]:
    """How a secret may be written out: as is, percent-encoded (path, userinfo and form styles), and
    escaped for JSON (how Airflow stores serialized DAGs, rendered fields and XComs)."""
    import json
    from urllib.parse import quote, quote_plus

    found = [secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1]]
    return list(dict.fromkeys(found))


def secrets_in_clear(secrets: dict[str, str], *, outputs: dict[str, str] | None = None,
                     folders: tuple[pathlib.Path, ...] = ()) -> list[str]:
    """Where each planted secret (``{channel: value}``) shows in clear; an empty list means nowhere.

    Searched, for every spelling of :func:`secret_spellings`: each of ``outputs`` (``{name: text}``, a
    command's stdout and stderr), the bytes of every file under ``folders`` (logs, databases, the
    warehouse), and every row of every SQLite database there, each table dumped (values compressed
    with zlib, as Airflow may store serialized DAGs, are searched uncompressed).
    """
    texts: dict[str, bytes] = {name: text.encode() for name, text in (outputs or {}).items()}
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            texts[str(path)] = data
            if data.startswith(b"SQLite format 3\x00"):
                texts.update(_sqlite_rows(path))
    found = []
    for channel, secret in secrets.items():
        for spelling in secret_spellings(secret):
            needle = spelling.encode()
            found += [f"{channel} secret ({spelling!r}) in {where}" for where, data in texts.items()
                      if needle in data]
    return found


def _sqlite_rows(path: pathlib.Path) -> dict[str, bytes]:
    import contextlib
    import sqlite3
    import zlib

    rows: dict[str, bytes] = {}
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for i, row in enumerate(con.execute(f'SELECT * FROM "{table}"')):
                for j, value in enumerate(row):
                    if isinstance(value, bytes):
                        with contextlib.suppress(zlib.error):
                            value = zlib.decompress(value)
                    data = value if isinstance(value, bytes) else str(value).encode()
                    rows[f"{path} table {table} row {i} column {j}"] = data
    finally:
        con.close()
    return rows


def servers_required() -> bool:
    """Whether a test whose server is missing must fail rather than be skipped: ``DOP_TEST_REQUIRE_SERVERS``
    when set (``1``/``0``), else whether ``CI`` is set to ``true`` or ``1`` (as CI services set it)."""
    flag = os.environ.get("DOP_TEST_REQUIRE_SERVERS") or os.environ.get("CI") or ""
    return flag.strip().lower() in ("1", "true", "yes")


def missing_server(what: str, fix: str) -> NoReturn:
    """Stop a test (or fixture) whose server or tool is missing: under :func:`servers_required` the test
    fails, elsewhere it is skipped; both say ``<what> is missing: <fix>``. Fixtures never install what is
    missing: ``fix`` names how to get it (a script to run, a package to install)."""
    message = f"{what} is missing: {fix}"
    if servers_required():
        pytest.fail(f"{message} (a missing test server fails the tests under CI=true or "
                    "DOP_TEST_REQUIRE_SERVERS=1)", pytrace=False)
    pytest.skip(message)


_REGISTRATION_PROBE = """
import json, sys
import attrs
from dop_core.contract import registry as plugins
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


# -- validate_covers_build: what `dop validate` finds without building a DAG --------------------------------

@attrs.frozen
class BothWays:
    """What ``dop validate`` reports for a project, as text, sorted (see :func:`check_both_ways`)."""

    #: every DAG built, as if no kind declared ``validate_covers_build``
    built: list[str]
    #: as ``dop validate`` runs: a DAG whose kinds and triggers all declare it is checked without being built
    unbuilt: list[str]
    #: the DAG ids the second check built all the same (a kind that does not declare it, for its options)
    dags_built: list[str]


def check_both_ways(root: str | os.PathLike[str], target: str | None = None) -> BothWays:
    """What ``dop validate`` reports for the project at ``root`` when it builds every DAG, and as it runs, where
    a DAG whose task kinds and triggers all declare ``validate_covers_build`` is checked without building it (so
    without importing Airflow). A kind's declaration is honest when both report the same problems, on its valid
    configs and on every config its ``build`` would refuse: ``assert found.built == found.unbuilt`` and
    ``found.dags_built == []``. Neither uses ``dop validate``'s cache."""
    from unittest import mock

    from dop_core.build import dags
    from dop_core.check import unbuilt
    from dop_core.check.project import check_project

    built: list[str] = []
    build_dag = dags.build_dag

    def building(config: Any, *args: Any, **kwargs: Any) -> Any:
        built.append(config.dag_id)
        return build_dag(config, *args, **kwargs)

    with mock.patch.dict(os.environ, {"DOP_PARSE_CACHE": "0"}):
        with mock.patch.object(unbuilt, "checks_unbuilt", lambda config: False):
            every = check_project(root, target)
        with mock.patch.object(dags, "build_dag", building):
            found = check_project(root, target)
    return BothWays(sorted(str(p) for p in every.problems), sorted(str(p) for p in found.problems), built)


_COLD_CHECK = """
import json, sys
from dop_core.check.project import check_project
report = check_project(sys.argv[1], sys.argv[2] or None)
print(json.dumps({"problems": [str(p) for p in report.problems], "airflow": "airflow" in sys.modules}))
"""


def cold_check(root: str | os.PathLike[str], target: str | None = None) -> tuple[list[str], bool]:
    """What ``dop validate`` reports for the project at ``root`` in a fresh interpreter with no cache at all (a
    new clone on a new machine), and whether it imported Airflow: it does not when every DAG is checked without
    being built (see :func:`check_both_ways`)."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dop-cold-check-") as cache:
        env = clean_env(XDG_CACHE_HOME=cache)
        result = subprocess.run([sys.executable, "-c", _COLD_CHECK, str(root), target or ""], capture_output=True,
                                text=True, env=env, cwd=cache, timeout=300, check=False)
    if result.returncode != 0:
        raise AssertionError(f"dop validate failed:\n{result.stderr}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return list(data["problems"]), bool(data["airflow"])


# -- history protection: what every warehouse engine must refuse on an incremental run ------------------
#: two days of rows: DATE columns ``d`` and ``e``, an integer ``n``, an ``amount``
HISTORY_QUERY = ("SELECT DATE '2024-06-01' AS d, DATE '2024-07-01' AS e, 5 AS n, 1 AS amount "
                 "UNION ALL SELECT DATE '2024-06-02', DATE '2024-07-02', 15, 2")


@attrs.frozen
class HistoryChange:
    """A change of a table task an incremental run must refuse (see :func:`assert_history_protected`)."""

    name: str
    before: Any  # Partitioning | None: the table's, built from HISTORY_QUERY
    after: Any  # Partitioning | None: the task's after the change
    #: the line of the refusal that names the difference
    named: str
    after_query: str = HISTORY_QUERY


def history_changes() -> list[HistoryChange]:
    """Every way a table task's partitioning can change: removed, field, data type, granularity, range."""
    from dop_core.config.models import IntegerRange, Partitioning

    by_d = Partitioning(field="d", data_type="date")
    by_n = Partitioning(field="n", data_type="int64", range=IntegerRange(0, 100, 10))
    as_timestamp = HISTORY_QUERY.replace("DATE '2024-06-01' AS d", "TIMESTAMP '2024-06-01 00:00:00' AS d").replace(
        "SELECT DATE '2024-06-02'", "SELECT TIMESTAMP '2024-06-02 00:00:00'")
    return [
        HistoryChange("removed", by_d, None, "- partitioning by d (date, day): the task has no partitioning"),
        HistoryChange("added", None, by_d, "+ partitioning by d (date, day): the table is not partitioned"),
        HistoryChange("field", by_d, Partitioning(field="e", data_type="date"), "~ partitioning field: d -> e"),
        HistoryChange("data_type", by_d, Partitioning(field="d", data_type="timestamp"),
                      "~ partitioning data_type: date -> timestamp", as_timestamp),
        HistoryChange("granularity", by_d, Partitioning(field="d", data_type="date", granularity="month"),
                      "~ partitioning granularity: day -> month"),
        HistoryChange("range", by_n, Partitioning(field="n", data_type="int64", range=IntegerRange(0, 200, 20)),
                      "~ partitioning range: start 0, end 100, interval 10 -> start 0, end 200, interval 20"),
    ]


def assert_history_protected(engine: Any, relation: Any, change: HistoryChange, rows: Callable[[], list[Any]],
                             dialect: str = "bigquery") -> None:
    """Build ``relation`` as ``change.before``; an incremental run after ``change`` must fail naming it and
    leave every row in place; a full refresh rebuilds the table, after which incremental runs work.

    ``rows()`` reads the table's rows (sorted), preferably not through ``engine``.
    """
    from dop_core.builtin.materialization.table import SchemaChanged, materialize_table

    materialize_table(engine, relation, HISTORY_QUERY, change.before, False, dialect)
    kept = rows()
    assert len(kept) == 2, kept
    with pytest.raises(SchemaChanged) as info:
        materialize_table(engine, relation, change.after_query, change.after, False, dialect)
    message = str(info.value)
    assert change.named in message, message
    assert "The table was left unchanged. Run with a full refresh" in message, message
    assert rows() == kept
    assert materialize_table(engine, relation, change.after_query, change.after, True, dialect).rows == 2
    again = materialize_table(engine, relation, change.after_query, change.after, False, dialect)
    assert again.action == ("updated" if change.after is not None else "replaced all rows of"), again
    assert len(rows()) == 2


def assert_nullability_protected(engine: Any, relation: Any, require_amount: Callable[[], None],
                                 rows: Callable[[], list[Any]], dialect: str = "bigquery") -> None:
    """As :func:`assert_history_protected`, for a table whose ``amount`` column became NOT NULL
    (``require_amount()`` does that the engine's way, keeping the rows) while the query's may be NULL."""
    from dop_core.builtin.materialization.table import SchemaChanged, materialize_table
    from dop_core.config.models import Partitioning

    by_d = Partitioning(field="d", data_type="date")
    materialize_table(engine, relation, HISTORY_QUERY, by_d, False, dialect)
    require_amount()
    kept = rows()
    with pytest.raises(SchemaChanged) as info:
        materialize_table(engine, relation, HISTORY_QUERY, by_d, False, dialect)
    assert "~ amount: NOT NULL -> nullable" in str(info.value), str(info.value)
    assert rows() == kept
    materialize_table(engine, relation, HISTORY_QUERY, by_d, True, dialect)
    assert materialize_table(engine, relation, HISTORY_QUERY, by_d, False, dialect).action == "updated"


def assert_same_shapes_pass(engine: Any, relation: Any, amounts: Sequence[str], rows: Callable[[], list[Any]],
                            dialect: str = "bigquery") -> None:
    """Reruns of an unchanged task, and ``amount`` spelled as each of ``amounts`` (SQL expressions the
    project's dialect types alike, such as ``1`` and ``CAST(1 AS INT64)``), replace the day's partition."""
    from dop_core.builtin.materialization.table import materialize_table
    from dop_core.config.models import Partitioning

    by_d = Partitioning(field="d", data_type="date")
    materialize_table(engine, relation, HISTORY_QUERY, by_d, False, dialect)
    for amount in ["1", *amounts]:
        out = materialize_table(engine, relation, f"SELECT DATE '2024-06-01' AS d, DATE '2024-07-01' AS e, 5 AS n, "
                                f"{amount} AS amount", by_d, False, dialect)
        assert (out.action, out.partitions) == ("updated", 1), (amount, out)
    assert len(rows()) == 2


@pytest.fixture
def dop_plugin_manager() -> Iterator[Any]:
    """A plugin manager with only DOP's built-in plugins, installed as the process-wide one."""
    from dop_core.contract import registry

    pm, builtins = registry.builtins_only()
    saved = registry.use(pm, builtins)
    try:
        yield pm
    finally:
        registry.use(*saved)


@pytest.fixture
def installed_plugins() -> Iterator[Any]:
    """A fresh process-wide plugin manager that loads the installed plugins from their entry points, as a new
    ``dop`` process does; the one before is restored afterwards."""
    from dop_core.contract import registry

    saved = registry.use(None, None)
    try:
        yield registry.get_plugin_manager()
    finally:
        registry.use(*saved)


@pytest.fixture
def register_plugin(dop_plugin_manager: Any) -> Iterator[Callable[..., Any]]:
    """``register_plugin(plugin, name=None)``: register on the test's manager; unregistered at teardown."""
    from dop_core.contract import registry

    registered: list[Any] = []

    def register(plugin: Any, name: str | None = None) -> Any:
        dop_plugin_manager.register(plugin, name=name)
        registered.append(plugin)
        return registry.refresh()

    yield register
    for plugin in registered:
        if dop_plugin_manager.is_registered(plugin):
            dop_plugin_manager.unregister(plugin)
    registry.refresh()


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


#: the core pieces a plugin's tests drive (see the module's docstring): name -> (module, attribute)
_DRIVEN = {
    "check_project": ("dop_core.check.project", "check_project"),
    "build_one": ("dop_core.build.dags", "build_one"),
    "doctor_checks": ("dop_core.cli.doctor", "run_checks"),
    "materialize_table": ("dop_core.builtin.materialization.table", "materialize_table"),
    "SchemaChanged": ("dop_core.builtin.materialization.table", "SchemaChanged"),
    "create_plugin": ("dop_core.cli.new_plugin", "create_plugin"),
    "plugin_name": ("dop_core.cli.new_plugin", "plugin_name"),
    "template_dir": ("dop_core.cli.new_plugin", "template_dir"),
}


def __getattr__(name: str) -> Any:
    if name not in _DRIVEN:
        raise AttributeError(f"module 'dop_core.testing' has no attribute {name!r}")
    from importlib import import_module

    module, attribute = _DRIVEN[name]
    return getattr(import_module(module), attribute)
