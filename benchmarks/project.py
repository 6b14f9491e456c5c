"""A generated DOP project of N DAGs x M tasks, and the same DAGs written by hand in Python.

Shared by the benchmark scripts; run ``python benchmarks/project.py DIR --dags 5 --tasks 10`` to look at one.

Each DAG mixes the task kinds a real project has: ``materialization/schema`` first, then
``materialization/table`` (one in five partitioned by day), ``materialization/view``,
``assertion/assertion`` and ``airflow_operator`` tasks (EmptyOperator and BashOperator with an
``execution_timeout``), with chain and fan-in edges and two DAG params.

The hand-written twin of each DAG is what a careful engineer would write in Python for the same
DAG object: DOP's own :class:`~dop_core.contract.sql_task.DopSqlOperator` for the native SQL tasks (the
operator that runs them; the SQL stays in ``.sql`` files resolved through ``template_searchpath``),
``EmptyOperator``/``BashOperator`` for the airflow_operator tasks, the same params (including the
``full_refresh`` checkbox), tags, outlets (assets), retries, start date, runs and tasks at once, and
edges. ``check_equal`` compares the two DagBags task by task.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil

PROJECT_NAME = "bench"
EMPTY = "airflow.providers.standard.operators.empty.EmptyOperator"
BASH = "airflow.providers.standard.operators.bash.BashOperator"


def dag_name(i: int) -> str:
    return f"dag_{i:04d}"


def task_plan(m: int) -> list[dict]:
    """The tasks of one DAG: identifier, kind, dependencies, partitioning, options."""
    tasks: list[dict] = [{"id": "create_schema", "action": "materialization", "target": "schema", "deps": []}]
    for j in range(1, m):
        slot = j % 10
        deps = [tasks[j - 1]["id"]]
        if j >= 4 and j % 4 == 0:
            deps.append(tasks[j - 3]["id"])
        if slot in (1, 2, 3, 4, 5, 0):
            t = {"id": f"table_{j:03d}", "action": "materialization", "target": "table",
                 "partitioned": j % 5 == 0}
        elif slot == 6:
            t = {"id": f"check_{j:03d}", "action": "assertion", "target": "assertion"}
        elif slot == 7:
            t = {"id": f"marker_{j:03d}", "action": "airflow_operator", "target": EMPTY}
        elif slot == 8:
            t = {"id": f"notify_{j:03d}", "action": "airflow_operator", "target": BASH}
        else:
            t = {"id": f"view_{j:03d}", "action": "materialization", "target": "view"}
        t["deps"] = deps
        tasks.append(t)
    return tasks


def _sql(task: dict, upstream: str | None) -> str:
    source = f"bench.{upstream}" if upstream and not upstream.startswith(("marker", "notify", "check", "create")) \
        else "UNNEST(GENERATE_DATE_ARRAY('2024-01-01', '2024-12-31')) AS day"
    if task["action"] == "assertion":
        return ("-- every row of the upstream table has a day\n"
                "SELECT COUNT(*) = COUNTIF(day IS NOT NULL) AS success,\n"
                f"       'days are never null in {source}' AS description\nFROM {source}\n")
    where = "{% if is_incremental() %}WHERE day = DATE '{{ ds }}'{% endif %}" if task.get("partitioned") else ""
    return (f"-- {task['id']}: a step of the pipeline\nSELECT day, {{{{ params.min_amount }}}} AS min_amount,\n"
            f"       '{{{{ params.region }}}}' AS region\nFROM {source}\n{where}\n")


def config_yaml(i: int, m: int) -> str:
    lines = [f"# generated DAG {i}", "enabled: true", 'schedule_interval: "0 4 * * *"', "timezone: Europe/London",
             "schema: bench", f"description: generated DAG number {i}", "tags: [generated]", "retries: 1",
             "retry_delay: 5m", "params:", "  min_amount: 0", "  region: eu", "tasks:"]
    for t in task_plan(m):
        lines += [f"  - identifier: {t['id']}", "    kind:", f"      action: {t['action']}",
                  f"      target: {t['target']}"]
        if t.get("partitioned"):
            lines += ["    partitioning:", "      field: day", "      data_type: date"]
        if t["target"] == BASH:
            lines += ["    options:", "      arguments:",
                      "        bash_command: \"echo '{{ ds }} done (min_amount={{ params.min_amount }})'\"",
                      "        execution_timeout: 5m"]
        if t["deps"]:
            lines.append("    dependencies:")
            lines += [f"      - {d}" for d in t["deps"]]
    return "\n".join(lines) + "\n"


DOP_LOADER = '''# The Airflow DAG file of the project: builds every DOP DAG under orchestration/.
from dop_core import build_dags

globals().update(build_dags(__file__))
'''

DOP_PER_DAG = '''# Airflow DAG file of one DOP DAG (orchestration/{name}/), so an edit re-parses only this DAG.
from dop_core import build_dags

globals().update(build_dags(__file__, only="{name}"))
'''

HAND_HEAD = '''"""DAG dop__{name}, written by hand: the same DAG object as DOP builds from orchestration/{name}/."""

import datetime as dt
import pathlib

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, Param, Variable

from dop_core.config.identifiers import Relation
from dop_core.contract.sql_task import DopSqlOperator
from dop_core.config.models import Partitioning, Target

ROOT = pathlib.Path(__file__).resolve().parents[1]
FOLDER = ROOT / "orchestration" / "{name}"
TARGET = Target("local", "duckdb", {{"path": ".dop/warehouse.duckdb"}}, root=ROOT)
DAILY = Partitioning(field="day", data_type="date")


def table(task_id, kind, **kwargs):
    relation = None if kind == "assertion/assertion" else Relation("bench", task_id)
    outlets = [Asset(f"x-dop://bench/bench.{{task_id}}")] if kind in ("materialization/table",
                                                                       "materialization/view") else []
    sql = None if kind == "materialization/schema" else f"sql/{{task_id}}.sql"
    return DopSqlOperator(task_id=task_id, kind=kind, target=TARGET, dialect="bigquery", sql=sql, sql_file=sql,
                          relation=relation, outlets=outlets, **kwargs)


with DAG(
    "dop__{name}",
    schedule="0 4 * * *",
    start_date=pendulum.datetime(1970, 1, 1, tz="Europe/London"),
    catchup=False,
    max_active_runs=5,
    max_active_tasks=int(Variable.get("DAG_CONCURRENCY", default=2)),
    params={{"min_amount": 0, "region": "eu",
             "full_refresh": Param(False, type="boolean", title="Full refresh",
                                   description="Rebuild every table from scratch.")}},
    default_args={{"retries": 1, "retry_delay": dt.timedelta(minutes=5)}},
    tags=["dop", "generated"],
    description="generated DAG number {i}",
    doc_md="Generated DAG number {i}: tables, views, checks and notifications.",
    template_searchpath=[str(FOLDER)],
):
'''


def hand_written(i: int, m: int) -> str:
    name = dag_name(i)
    out = [HAND_HEAD.format(name=name, i=i)]
    for t in task_plan(m):
        var = t["id"]
        if t["target"] == EMPTY:
            out.append(f"    {var} = EmptyOperator(task_id={var!r})")
        elif t["target"] == BASH:
            out.append(f"    {var} = BashOperator(task_id={var!r}, bash_command=\"echo '{{{{ ds }}}} done "
                       f"(min_amount={{{{ params.min_amount }}}})'\", execution_timeout=dt.timedelta(minutes=5))")
        else:
            extra = ", partitioning=DAILY" if t.get("partitioned") else ""
            out.append(f"    {var} = table({var!r}, \"{t['action']}/{t['target']}\"{extra})")
    for t in task_plan(m):
        if t["deps"]:
            out.append(f"    [{', '.join(t['deps'])}] >> {t['id']}")
    return "\n".join(out) + "\n"


def generate(root: pathlib.Path, n: int, m: int) -> pathlib.Path:
    """Write the project under ``root``: orchestration/, dags/ (one loader), dags_per_dag/, dags_hand/, dags_empty/."""
    if root.exists():
        shutil.rmtree(root)
    (root / "orchestration").mkdir(parents=True)
    (root / "dop_project.yml").write_text(f"name: {PROJECT_NAME}\ndialect: bigquery\n"
                                          "targets:\n  local: {engine: duckdb, path: .dop/warehouse.duckdb}\n")
    for folder in ("dags", "dags_per_dag", "dags_hand", "dags_empty"):
        (root / folder).mkdir()
    (root / "dags" / "dop_dags.py").write_text(DOP_LOADER)
    for i in range(n):
        name = dag_name(i)
        folder = root / "orchestration" / name
        (folder / "sql").mkdir(parents=True)
        (folder / "config.yaml").write_text(config_yaml(i, m))
        plan = task_plan(m)
        for j, t in enumerate(plan):
            if t["action"] != "airflow_operator" and t["target"] != "schema":
                (folder / "sql" / f"{t['id']}.sql").write_text(_sql(t, plan[j - 1]["id"] if j else None))
        (root / "dags_per_dag" / f"dop__{name}.py").write_text(DOP_PER_DAG.format(name=name))
        (root / "dags_hand" / f"dop__{name}.py").write_text(hand_written(i, m))
    return root


def touch_config(root: pathlib.Path, i: int = 0) -> pathlib.Path:
    """Edit one DAG's config (a comment line), as a user changing one config would."""
    path = root / "orchestration" / dag_name(i) / "config.yaml"
    path.write_text(path.read_text() + "# edited\n")
    return path


def describe(bag) -> dict:
    """A comparable summary of a DagBag: per DAG, each task's operator, upstreams and rendered-ready fields."""
    out = {}
    for dag_id, dag in sorted(bag.dags.items()):
        tasks = {}
        for task in dag.tasks:
            tasks[task.task_id] = (type(task).__name__, tuple(sorted(task.upstream_task_ids)),
                                   str(getattr(task, "sql", getattr(task, "bash_command", ""))),
                                   task.retries, task.retry_delay, str(task.execution_timeout),
                                   tuple(str(o) for o in task.outlets),
                                   str(getattr(task, "partitioning", None)), getattr(task, "kind", None))
        schedule = (getattr(dag.timetable, "_expression", None), str(getattr(dag.timetable, "_timezone", None)))
        out[dag_id] = {"tasks": tasks, "params": sorted(dag.params.keys()), "schedule": schedule,
                       "tags": sorted(dag.tags), "timezone": str(dag.timezone), "start_date": str(dag.start_date),
                       "runs_and_tasks_at_once": (dag.max_active_runs, dag.max_active_tasks)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("--dags", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=10)
    args = parser.parse_args()
    generate(args.root, args.dags, args.tasks)
    print(f"wrote {args.dags} DAGs x {args.tasks} tasks under {args.root}")


if __name__ == "__main__":
    main()
