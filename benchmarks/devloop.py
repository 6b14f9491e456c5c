"""``compare.py devloop`` and ``compare.py validate``: the commands of a developer's day, against what the
same work costs without DOP. Every command is timed whole (wall clock), rounds interleaved, after an
untimed first run of each (so each timed run is a second run: Airflow's database migrated, dbt's
virtualenv built, dbt's partial parse written, the tables there).

devloop:
- ``dop run`` of a DAG of one task (a table of 1,000 rows on the local DuckDB warehouse) against
  ``python -c 'import airflow.sdk'`` doing that task's work itself (the same rows into a table of its
  own, straight in DuckDB: DOP refuses to replace a table built outside DOP);
- ``dop run example_covid19`` of the template's project (``dop init``) against ``dbt build`` of the same
  SQL as dbt-duckdb models (``dbt_example_covid19/``) on the same warehouse file; the tables the two
  build are compared first;
- ``dop run`` of a DAG of one dbt task (``dbt run`` of the template's dbt project) against that dbt
  command run directly, with the same profile (dbt keeps its partial parse between direct runs).

``dop run`` is measured as a user has it (its run server on: each timed run is forked by it), and also with
``DOP_RUN_SERVER=0`` (each run starts its own Python), shown for scale.

validate: ``dop validate`` of the template's project, DOP's caches warm and cold (an empty cache
folder each time), against ``dop --help``.

dbt comes from DOP's dbt virtualenv (``DOP_DBT_VENV_ROOT``, default ``~/.cache/dop-bench/dbt-venv``),
built by the first ``dop run`` of a dbt task.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import shutil
from collections.abc import Callable
from typing import Any

import benchenv
import common

DATE = "2024-06-01"
NATIVE_DBT = pathlib.Path(__file__).with_name("dbt_example_covid19")
ONE_TASK_CONFIG = """# One task, for the fixed cost of `dop run`: a table of 1,000 rows in DuckDB's default schema.
description: One table of 1,000 rows
schedule_interval: null
schema: main
tasks:
  - identifier: numbers
    kind: {action: materialization, target: table}
"""
ONE_TASK_SQL = "SELECT x FROM UNNEST(GENERATE_ARRAY(1, 1000)) AS x\n"
ONE_TASK_DIRECT = ("import airflow.sdk, duckdb; con = duckdb.connect({path!r}); "
                   "con.execute('CREATE OR REPLACE TABLE main.numbers_direct AS SELECT x FROM range(1, 1001) t(x)'); "
                   "con.close()")
DBT_TASK_CONFIG = """# One dbt task, for the cost of a dbt command run through DOP.
description: dbt run of the dbt project covid19
schedule_interval: null
tasks:
  - identifier: dbt_run
    kind: {action: dbt, target: run}
    options:
      project: covid19
"""
PROFILE = """{name}:
  target: dop
  outputs:
    dop:
      type: duckdb
      path: {path}
      schema: {schema}
      threads: 4
"""
SAME_ROWS = """
import duckdb, sys
con = duckdb.connect(sys.argv[1], read_only=True)
for table in ("daily_cases", "v_country_summary", "country_totals"):
    a, b = (f"SELECT * FROM {schema}.{table}" for schema in sys.argv[2:4])
    extra = con.sql(f"SELECT COUNT(*) FROM (({a}) EXCEPT ALL ({b})) UNION ALL "
                    f"SELECT COUNT(*) FROM (({b}) EXCEPT ALL ({a}))").fetchall()
    if extra != [(0,), (0,)]:
        sys.exit(f"{table} differs between {sys.argv[2]} and {sys.argv[3]}: {extra}")
print("{}")
"""


class Workspace:
    """The projects and commands of the dev-loop benchmarks, under ``work``."""

    def __init__(self, python: pathlib.Path, work: pathlib.Path, say: Callable[[str], None]) -> None:
        self.python, self.work, self.say = python, work, say
        self.bin = python.parent
        dbt_root = os.environ.get("DOP_DBT_VENV_ROOT") or str(benchenv.cache_dir() / "dbt-venv")
        # `dop run` as a user has it: its run server on unless the caller's DOP_RUN_SERVER=0 (a server exits a
        # minute after the benchmark)
        self.env = common.child_env(XDG_CACHE_HOME=str(work / "cache"), DOP_DBT_VENV_ROOT=dbt_root,
                                    PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
                                    DOP_RUN_SERVER_IDLE="60")
        self.example = work / "example"

    def run(self, *args: str | os.PathLike[str], env: dict[str, str] | None = None,
            cwd: pathlib.Path | None = None) -> float:
        return common.timed([str(a) for a in args], env or self.env, cwd=cwd)

    def dop(self, *args: str | os.PathLike[str], env: dict[str, str] | None = None) -> float:
        return self.run(self.bin / "dop", *args, env=env)

    def dop_run(self, project: pathlib.Path, dag: str, **env: str) -> float:
        return self.dop("run", dag, "--project", project, "--date", DATE, env={**self.env, **env} if env else None)

    # -- projects ------------------------------------------------------------------------------------
    def ensure_example(self) -> pathlib.Path:
        """The template's project, as ``dop init`` makes it (with its dbt example)."""
        if not self.example.exists():
            self.say("creating the template's project (dop init)")
            self.dop("init", self.example.name, "--no-input", "--dbt", "--output-dir", self.work)
        return self.example

    def one_task_project(self) -> pathlib.Path:
        root = self.work / "one_task"
        (root / "orchestration" / "one_task" / "sql").mkdir(parents=True)
        (root / "dags").mkdir()
        (root / "dop_project.yml").write_text("name: one_task\ndialect: bigquery\n"
                                              "targets:\n  local: {engine: duckdb, path: .dop/warehouse.duckdb}\n")
        shutil.copy(self.example / "dags" / "dop_dags.py", root / "dags" / "dop_dags.py")
        (root / "orchestration" / "one_task" / "config.yaml").write_text(ONE_TASK_CONFIG)
        (root / "orchestration" / "one_task" / "sql" / "numbers.sql").write_text(ONE_TASK_SQL)
        return root

    def dbt_task_project(self) -> pathlib.Path:
        """The template's project with its dbt example DAG (which seeds) and a DAG of one ``dbt run`` task."""
        root = self.work / "dbt_task"
        shutil.copytree(self.example, root, ignore=shutil.ignore_patterns(".dop", "target", "logs"))
        shutil.rmtree(root / "orchestration" / "example_covid19")
        (root / "orchestration" / "dbt_task").mkdir()
        (root / "orchestration" / "dbt_task" / "config.yaml").write_text(DBT_TASK_CONFIG)
        return root

    def dbt(self) -> pathlib.Path:
        """The dbt executable of DOP's dbt virtualenv (built by the first dbt task)."""
        root = pathlib.Path(self.env["DOP_DBT_VENV_ROOT"])
        found = sorted(root.glob("*/.dop-ready"), key=lambda p: p.stat().st_mtime)
        if not found or not (found[-1].parent / "bin" / "dbt").exists():
            raise SystemExit(f"no dbt virtualenv under {root}: the first `dop run` of a dbt task should build one")
        return found[-1].parent / "bin" / "dbt"

    def dbt_project_copy(self, source: pathlib.Path, name: str, profile: str, warehouse: pathlib.Path,
                         schema: str) -> tuple[pathlib.Path, pathlib.Path]:
        """A copy of a dbt project (its own target/ and partial parse) and a profile for the warehouse."""
        project = self.work / name
        shutil.copytree(source, project, ignore=shutil.ignore_patterns("target", "logs"))
        profiles = self.work / f"{name}-profiles"
        profiles.mkdir()
        (profiles / "profiles.yml").write_text(PROFILE.format(name=profile, path=warehouse, schema=schema))
        return project, profiles


def _dbt_command(dbt: pathlib.Path, command: str, project: pathlib.Path, profiles: pathlib.Path) -> list[str]:
    return [str(dbt), command, "--project-dir", str(project), "--profiles-dir", str(profiles),
            "--vars", json.dumps({"ds": DATE})]


def measure_devloop(python: pathlib.Path, work: pathlib.Path, rounds: int, rng: random.Random,
                    say: Callable[[str], None] = print) -> dict[str, Any]:
    ws = Workspace(python, work, say)
    example = ws.ensure_example()
    say("first runs (untimed): Airflow's database, the dbt virtualenv, the tables")
    ws.dop_run(example, "example_covid19")
    one = ws.one_task_project()
    ws.dop_run(one, "one_task")
    dbt_task = ws.dbt_task_project()
    ws.dop_run(dbt_task, "example_dbt")  # builds dbt's virtualenv, seeds
    ws.dop_run(dbt_task, "dbt_task")
    dbt = ws.dbt()

    native, native_profiles = ws.dbt_project_copy(NATIVE_DBT, "dbt_example_covid19", "covid19_native",
                                                  example / ".dop" / "warehouse.duckdb", "example_covid19_dbt")
    (native / "seeds").mkdir()
    shutil.copy(example / "orchestration" / "example_covid19" / "data" / "raw_covid19_cases.csv", native / "seeds")
    native_build = _dbt_command(dbt, "build", native, native_profiles)
    ws.run(*native_build, cwd=native)
    common.run_json([str(python), "-c", SAME_ROWS, str(example / ".dop" / "warehouse.duckdb"),
                     "example_covid19", "example_covid19_dbt"], env=ws.env)
    direct, direct_profiles = ws.dbt_project_copy(dbt_task / "dbt" / "covid19", "dbt_direct", "covid19",
                                                  dbt_task / ".dop" / "warehouse.duckdb", "covid19")
    direct_run = _dbt_command(dbt, "run", direct, direct_profiles)
    ws.run(*direct_run, cwd=direct)

    one_direct = ONE_TASK_DIRECT.format(path=str(one / ".dop" / "warehouse.duckdb"))
    jobs: dict[str, Callable[[int], float]] = {
        "dop run one_task": lambda _: ws.dop_run(one, "one_task"),
        "dop run one_task, no run server": lambda _: ws.dop_run(one, "one_task", DOP_RUN_SERVER="0"),
        "import airflow.sdk + the task's SQL": lambda _: ws.run(python, "-c", one_direct),
        "dop run example_covid19": lambda _: ws.dop_run(example, "example_covid19"),
        "dbt build of the same SQL": lambda _: ws.run(*native_build, cwd=native),
        "dop run dbt_task": lambda _: ws.dop_run(dbt_task, "dbt_task"),
        "dop run dbt_task, no run server": lambda _: ws.dop_run(dbt_task, "dbt_task", DOP_RUN_SERVER="0"),
        "dbt run, direct": lambda _: ws.run(*direct_run, cwd=direct),
    }
    say("timed rounds")
    return {"rounds": rounds, "results": common.interleaved(jobs, rounds, rng, say), "dbt": dbt_version(dbt)}


def measure_validate(python: pathlib.Path, work: pathlib.Path, rounds: int, rng: random.Random,
                     say: Callable[[str], None] = print) -> dict[str, Any]:
    ws = Workspace(python, work, say)
    example = ws.ensure_example()
    ws.dop("validate", "--project", example)  # the warm cache

    def cold(_: int) -> float:
        # the project's caches gone (a new clone, every DAG edited); what DOP keeps of what is installed (the entry
        # points, what operator checks learnt) stays, as issue 21 defines a cold `dop validate`
        shutil.rmtree(work / "cache" / "dop" / "parse", ignore_errors=True)
        return ws.dop("validate", "--project", example)

    def first(_: int) -> float:
        cache = work / "cache-cold"
        try:
            return ws.dop("validate", "--project", example, env=dict(ws.env, XDG_CACHE_HOME=str(cache)))
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    jobs: dict[str, Callable[[int], float]] = {
        "dop validate, cache warm": lambda _: ws.dop("validate", "--project", example),
        "dop validate, cache cold": cold,
        "dop validate, no cache at all": first,
        "dop --help": lambda _: ws.dop("--help"),
    }
    return {"rounds": rounds, "results": common.interleaved(jobs, rounds, rng, say)}


def _row(results: dict[str, list[float]], name: str, baseline: str, limit: float | None, unit: str = "x") -> list[str]:
    """A row of the table; no ``limit``: a figure shown for scale, with no target."""
    t, b = common.median(results[name]), common.median(results[baseline])
    value = common.ratio(t, b) if unit == "x" else t
    shown = f"{value:.2f}x" if unit == "x" else f"{value:.2f} s"
    if limit is None:
        return [name, f"{t:.2f} s", baseline, f"{b:.2f} s", shown, "", ""]
    verdict = "meets" if value <= limit else "MISSES"
    return [name, f"{t:.2f} s", baseline, f"{b:.2f} s", shown, f"<= {limit:g}{unit}", verdict]


HEADERS = ["command", "time", "baseline", "time", "ratio", "target", ""]


def report_devloop(data: dict[str, Any]) -> str:
    res = data["results"]
    rows = [_row(res, "dop run one_task", "import airflow.sdk + the task's SQL", 2.0),
            _row(res, "dop run one_task, no run server", "import airflow.sdk + the task's SQL", None),
            _row(res, "dop run example_covid19", "dbt build of the same SQL", 2.0),
            _row(res, "dop run dbt_task", "dbt run, direct", 1.3),
            _row(res, "dop run dbt_task, no run server", "dbt run, direct", None)]
    return "\n".join([f"### Dev loop: second and later runs, medians of {data['rounds']} interleaved rounds", "",
                      common.table(HEADERS, rows), "", f"dbt-core {data['dbt']} (DOP's dbt virtualenv)"])


def report_validate(data: dict[str, Any]) -> str:
    res = data["results"]
    rows = [_row(res, "dop validate, cache warm", "dop --help", 5.0),
            _row(res, "dop validate, cache cold", "dop --help", 1.0, unit=" s"),
            _row(res, "dop validate, no cache at all", "dop --help", None, unit=" s")]
    return "\n".join([f"### `dop validate` of the template's project, medians of {data['rounds']} interleaved "
                      "rounds", "", common.table(HEADERS, rows)])


def dbt_version(dbt: pathlib.Path) -> str:
    for dist in dbt.parent.parent.glob("lib/python*/site-packages/dbt_core-*.dist-info"):
        return dist.name.removeprefix("dbt_core-").removesuffix(".dist-info")
    return "(version unknown)"
