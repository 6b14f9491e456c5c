"""The parse workload: the same N DAGs x M tasks written for DOP, by hand (no DOP), for dag-factory and gusty.

Each DAG mixes the tasks of a warehouse pipeline: a schema, tables (one in five replacing one day's
partition), views, checks, an ``EmptyOperator`` marker and a ``BashOperator`` notification with an
``execution_timeout``, chained with fan-in edges; two DAG params, tags, one retry every 5 minutes, a
daily cron in Europe/London, and an asset per table and view. Every layout builds DAGs with the same
ids, tasks, edges, params, tags, retries, schedule and assets (``probe.py check`` compares them):

- ``dop/``: a DOP project, ``orchestration/<dag>/config.yaml`` and ``sql/<task>.sql`` (SELECTs in the
  BigQuery dialect), read by a loader file per group of ~``DAGS_PER_FILE`` DAGs (``dags/dop_dags_<i>.py``,
  ``build_dags(__file__, group=i, groups=K)``: the layout docs/performance.md recommends), by one loader
  file for every DAG (``dags_one_loader/dop_dags.py``) or by one small file per DAG (``dags_per_dag/``,
  ``build_dags(__file__, only=...)``);
- ``hand/``: one Python file per DAG as a careful engineer writes it without DOP:
  ``SQLExecuteQueryOperator`` / ``SQLCheckOperator`` with the statements in ``sql/<dag>/*.sql`` (found
  through ``template_searchpath``), ``EmptyOperator``, ``BashOperator``, ``Asset`` outlets;
- ``dagfactory/``: one YAML file per DAG under ``configs/``, one loader ``dags/load_dags.py``
  (``load_yaml_dags``), the same operators and SQL files;
- ``gusty/``: one folder per DAG under ``gusty_dags/`` (``METADATA.yml`` and a file per task: ``.sql``
  with a YAML front matter, ``.yml`` for the other operators), one loader ``dags/load_dags.py``
  (``create_dags``).

Run ``python benchmarks/workload.py DIR --dags 2 --tasks 10`` to look at one.
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass

PROJECT = "bench"
SCHEMA = "bench"
CONN_ID = "warehouse"
CRON = "0 4 * * *"
TIMEZONE = "Europe/London"
START = (2024, 1, 1)
PARAMS = {"min_amount": 0, "region": "eu"}
TAGS = ["dop", "generated"]
EMPTY = "airflow.providers.standard.operators.empty.EmptyOperator"
BASH = "airflow.providers.standard.operators.bash.BashOperator"
SQL_QUERY = "airflow.providers.common.sql.operators.sql.SQLExecuteQueryOperator"
SQL_CHECK = "airflow.providers.common.sql.operators.sql.SQLCheckOperator"
BASH_COMMAND = "echo {{ ds }} done"
EDIT = "# edited\n"


@dataclass(frozen=True)
class Task:
    id: str
    kind: str  # schema, table, partitioned, view, check, empty, bash
    deps: tuple[str, ...]
    source: str  # what its SELECT reads

    @property
    def asset(self) -> str | None:
        return f"x-dop://{PROJECT}/{SCHEMA}.{self.id}" if self.kind in ("table", "partitioned", "view") else None


def dag_name(i: int) -> str:
    return f"dag_{i:04d}"


def dag_id(i: int) -> str:
    return f"dop__{dag_name(i)}"


def task_plan(m: int) -> list[Task]:
    """The M tasks of one DAG: a schema first, then a repeating mix of kinds, each after the previous
    task, every fourth also after the task three before it."""
    kinds = {1: "table", 2: "table", 3: "table", 4: "table", 5: "partitioned", 6: "check", 7: "empty", 8: "bash",
             9: "view", 0: "partitioned"}
    prefix = {"table": "table", "partitioned": "table", "check": "check", "empty": "marker", "bash": "notify",
              "view": "view"}
    tasks = [Task("create_schema", "schema", (), "")]
    last_table = ""
    for j in range(1, m):
        kind = kinds[j % 10]
        deps = (tasks[j - 1].id, tasks[j - 3].id) if j >= 4 and j % 4 == 0 else (tasks[j - 1].id,)
        source = f"{SCHEMA}.{last_table}" if last_table else \
            "UNNEST(GENERATE_DATE_ARRAY('2024-01-01', '2024-12-31')) AS day"
        task = Task(f"{prefix[kind]}_{j:03d}", kind, deps, source)
        if kind in ("table", "partitioned"):
            last_table = task.id
        tasks.append(task)
    return tasks


# -- SQL ---------------------------------------------------------------------------------------------
def select_sql(task: Task) -> str:
    """The SELECT of a table, view or check: DOP's ``sql/<task>.sql``, and the body of the others' statements."""
    if task.kind == "check":
        return (f"-- every row of {task.source} has a day\n"
                f"SELECT COUNT(*) = COUNTIF(day IS NOT NULL) AS success,\n"
                f"       'days are never null in {task.source}' AS description\nFROM {task.source}\n")
    where = "WHERE day = DATE '{{ ds }}'\n" if task.kind == "partitioned" else ""
    return (f"-- {task.id}: a step of the pipeline\nSELECT day, {{{{ params.min_amount }}}} AS min_amount,\n"
            f"       '{{{{ params.region }}}}' AS region\nFROM {task.source}\n{where}")


def statement_sql(task: Task) -> str:
    """What the hand-written, dag-factory and gusty tasks run: the whole statement around the SELECT."""
    relation = f"{SCHEMA}.{task.id}"
    if task.kind == "schema":
        return f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}\n"
    if task.kind == "check":
        return f"SELECT COUNT(*) = COUNTIF(day IS NOT NULL)\nFROM {task.source}\n"
    if task.kind == "view":
        return f"CREATE OR REPLACE VIEW {relation} AS\n{select_sql(task)}"
    if task.kind == "partitioned":
        return (f"CREATE TABLE IF NOT EXISTS {relation} AS\n{select_sql(task)}LIMIT 0;\n"
                f"DELETE FROM {relation} WHERE day = DATE '{{{{ ds }}}}';\n"
                f"INSERT INTO {relation}\n{select_sql(task)};\n")
    return f"CREATE OR REPLACE TABLE {relation} AS\n{select_sql(task)}"


def operator_of(task: Task) -> str:
    return {"empty": EMPTY, "bash": BASH, "check": SQL_CHECK}.get(task.kind, SQL_QUERY)


# -- DOP -----------------------------------------------------------------------------------------------
DOP_TARGETS = {"table": ("materialization", "table"), "partitioned": ("materialization", "table"),
               "view": ("materialization", "view"), "schema": ("materialization", "schema"),
               "check": ("assertion", "assertion"), "empty": ("airflow_operator", EMPTY),
               "bash": ("airflow_operator", BASH)}

DOP_LOADER = '''# The Airflow DAG file of the project: builds every DOP DAG under orchestration/.
from dop_core import build_dags

globals().update(build_dags(__file__))
'''

DOP_GROUP = '''# Airflow DAG file of DOP DAG group {group} of {groups} (the project's DAGs, split among {groups} files).
from dop_core import build_dags

globals().update(build_dags(__file__, group={group}, groups={groups}))
'''
#: the DAGs of a group file, on average: few enough that re-parsing a group after an edit stays cheap,
#: enough that the processor's per-file cost is shared (docs/performance.md)
DAGS_PER_FILE = 6

DOP_PER_DAG = '''# Airflow DAG file of one DOP DAG (orchestration/{name}/).
from dop_core import build_dags

globals().update(build_dags(__file__, only="{name}"))
'''


def dop_config(i: int, m: int) -> str:
    lines = [f"# generated DAG {i}", "enabled: true", f'schedule_interval: "{CRON}"', f"timezone: {TIMEZONE}",
             "start_date: {:04d}-{:02d}-{:02d}".format(*START), f"schema: {SCHEMA}",
             f"description: generated DAG number {i}", f"tags: [{', '.join(t for t in TAGS if t != 'dop')}]",
             "retries: 1", "retry_delay: 5m", "params:", *(f"  {k}: {v}" for k, v in PARAMS.items()), "tasks:"]
    for t in task_plan(m):
        action, target = DOP_TARGETS[t.kind]
        lines += [f"  - identifier: {t.id}", f"    kind: {{action: {action}, target: {target}}}"]
        if t.kind == "partitioned":
            lines.append("    partitioning: {field: day, data_type: date}")
        if t.kind == "bash":
            lines += ["    options:", "      arguments:", f'        bash_command: "{BASH_COMMAND}"',
                      "        execution_timeout: 5m"]
        if t.deps:
            lines.append(f"    dependencies: [{', '.join(t.deps)}]")
    return "\n".join(lines) + "\n"


def write_dop(root: pathlib.Path, n: int, m: int) -> None:
    (root / "dop_project.yml").write_text(f"name: {PROJECT}\ndialect: bigquery\n"
                                          "targets:\n  local: {engine: duckdb, path: .dop/warehouse.duckdb}\n")
    for folder in ("dags", "dags_one_loader", "dags_per_dag"):
        (root / folder).mkdir()
    (root / "dags_one_loader" / "dop_dags.py").write_text(DOP_LOADER)
    groups = dop_groups(n)
    for group in range(groups):
        (root / "dags" / f"dop_dags_{group}.py").write_text(DOP_GROUP.format(group=group, groups=groups))
    for i in range(n):
        folder = root / "orchestration" / dag_name(i)
        (folder / "sql").mkdir(parents=True)
        (folder / "config.yaml").write_text(dop_config(i, m))
        for t in task_plan(m):
            if t.kind not in ("schema", "empty", "bash"):
                (folder / "sql" / f"{t.id}.sql").write_text(select_sql(t))
        (root / "dags_per_dag" / f"{dag_id(i)}.py").write_text(DOP_PER_DAG.format(name=dag_name(i)))


def dop_groups(n: int) -> int:
    return max(1, -(-n // DAGS_PER_FILE))


def dop_group_of(n: int) -> list[int]:
    """The group of each DAG (``dop_core.build.dags.dag_group``): in a Python where DOP is installed (the
    benchmark's virtualenv: ``probe.py groups``)."""
    from dop_core.build.dags import dag_group

    return [dag_group(dag_name(i), dop_groups(n)) for i in range(n)]


# -- hand-written ----------------------------------------------------------------------------------------
HAND_HEAD = '''"""DAG {dag_id}, written by hand in Python: the statements are in ../sql/{name}/."""

import datetime as dt
import pathlib

import pendulum
from airflow.providers.common.sql.operators.sql import SQLCheckOperator, SQLExecuteQueryOperator
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset

with DAG(
    "{dag_id}",
    schedule="{cron}",
    start_date=pendulum.datetime({y}, {mo}, {d}, tz="{tz}"),
    catchup=False,
    params={params!r},
    default_args={{"retries": 1, "retry_delay": dt.timedelta(minutes=5)}},
    tags={tags!r},
    description="generated DAG number {i}",
    template_searchpath=[str(pathlib.Path(__file__).resolve().parents[1] / "sql" / "{name}")],
):
'''


def hand_task(t: Task) -> str:
    if t.kind == "empty":
        return f"    {t.id} = EmptyOperator(task_id={t.id!r})"
    if t.kind == "bash":
        return (f"    {t.id} = BashOperator(task_id={t.id!r}, bash_command={BASH_COMMAND!r},\n"
                f"{' ' * (len(t.id) + 20)}execution_timeout=dt.timedelta(minutes=5))")
    operator = "SQLCheckOperator" if t.kind == "check" else "SQLExecuteQueryOperator"
    sql = repr(statement_sql(t).strip()) if t.kind == "schema" else repr(f"{t.id}.sql")
    outlets = f", outlets=[Asset({t.asset!r})]" if t.asset else ""
    return f"    {t.id} = {operator}(task_id={t.id!r}, conn_id={CONN_ID!r}, sql={sql}{outlets})"


def hand_written(i: int, m: int) -> str:
    plan = task_plan(m)
    head = HAND_HEAD.format(dag_id=dag_id(i), name=dag_name(i), cron=CRON, y=START[0], mo=START[1], d=START[2],
                            tz=TIMEZONE, params=PARAMS, tags=TAGS, i=i)
    edges = [f"    {t.deps[0]} >> {t.id}" if len(t.deps) == 1 else f"    [{', '.join(t.deps)}] >> {t.id}"
             for t in plan if t.deps]
    return head + "\n".join([hand_task(t) for t in plan] + [""] + edges) + "\n"


def write_statements(folder: pathlib.Path, m: int) -> None:
    folder.mkdir(parents=True)
    for t in task_plan(m):
        if t.kind not in ("schema", "empty", "bash"):
            (folder / f"{t.id}.sql").write_text(statement_sql(t))


def write_hand(root: pathlib.Path, n: int, m: int) -> None:
    (root / "dags").mkdir()
    for i in range(n):
        (root / "dags" / f"{dag_id(i)}.py").write_text(hand_written(i, m))
        write_statements(root / "sql" / dag_name(i), m)


# -- dag-factory -------------------------------------------------------------------------------------------
DAGFACTORY_LOADER = '''# The Airflow DAG file of the dag-factory project: builds a DAG from each YAML file under ../configs/.
import pathlib

from dagfactory import load_yaml_dags

load_yaml_dags(globals_dict=globals(), dags_folder=str(pathlib.Path(__file__).resolve().parents[1] / "configs"))
'''


def dagfactory_config(root: pathlib.Path, i: int, m: int) -> str:
    lines = [f"{dag_id(i)}:", f'  schedule: "{CRON}"', "  start_date: {:04d}-{:02d}-{:02d}".format(*START),
             f"  timezone: {TIMEZONE}", "  catchup: false", f"  description: generated DAG number {i}",
             f"  tags: [{', '.join(TAGS)}]", f"  params: {{{', '.join(f'{k}: {v}' for k, v in PARAMS.items())}}}",
             f"  template_searchpath: [{root / 'sql' / dag_name(i)}]",
             "  default_args:", "    retries: 1", "    retry_delay: {__type__: datetime.timedelta, minutes: 5}",
             "  tasks:"]
    for t in task_plan(m):
        lines += [f"    - task_id: {t.id}", f"      operator: {operator_of(t)}"]
        if t.kind == "bash":
            lines += [f'      bash_command: "{BASH_COMMAND}"',
                      "      execution_timeout: {__type__: datetime.timedelta, minutes: 5}"]
        elif t.kind != "empty":
            lines += [f"      conn_id: {CONN_ID}",
                      f"      sql: {statement_sql(t).strip() if t.kind == 'schema' else t.id + '.sql'}"]
        if t.asset:
            lines.append(f"      outlets: [{t.asset}]")
        if t.deps:
            lines.append(f"      dependencies: [{', '.join(t.deps)}]")
    return "\n".join(lines) + "\n"


def write_dagfactory(root: pathlib.Path, n: int, m: int) -> None:
    for folder in ("dags", "configs"):
        (root / folder).mkdir()
    (root / "dags" / "load_dags.py").write_text(DAGFACTORY_LOADER)
    for i in range(n):
        (root / "configs" / f"{dag_id(i)}.yml").write_text(dagfactory_config(root, i, m))
        write_statements(root / "sql" / dag_name(i), m)


# -- gusty -------------------------------------------------------------------------------------------------
GUSTY_LOADER = '''# The Airflow DAG file of the gusty project: a DAG from each folder under ../gusty_dags/.
import datetime as dt
import pathlib

import pendulum
from airflow.sdk import Asset
from gusty import create_dags

create_dags(
    str(pathlib.Path(__file__).resolve().parents[1] / "gusty_dags"),
    globals(),
    latest_only=False,
    start_date=pendulum.datetime({y}, {mo}, {d}, tz="{tz}"),
    catchup=False,
    default_args={{"retries": 1, "retry_delay": dt.timedelta(minutes=5)}},
    dag_constructors=[Asset],
)
'''


def gusty_task(t: Task) -> tuple[str, str]:
    """(file name, text) of one gusty task file."""
    front = [f"operator: {operator_of(t)}"]
    if t.kind == "bash":
        front += [f'bash_command: "{BASH_COMMAND}"', "execution_timeout: !timedelta {minutes: 5}"]
    elif t.kind != "empty":
        front.append(f"conn_id: {CONN_ID}")
    if t.asset:
        front.append(f'outlets: [!Asset "{t.asset}"]')
    if t.deps:
        front.append(f"dependencies: [{', '.join(t.deps)}]")
    if t.kind in ("empty", "bash"):
        return f"{t.id}.yml", "\n".join(front) + "\n"
    return f"{t.id}.sql", "---\n" + "\n".join(front) + "\n---\n" + statement_sql(t)


def gusty_metadata(i: int) -> str:
    return (f"description: generated DAG number {i}\nschedule: \"{CRON}\"\ntags: [{', '.join(TAGS)}]\n"
            f"params: {{{', '.join(f'{k}: {v}' for k, v in PARAMS.items())}}}\n")


def write_gusty(root: pathlib.Path, n: int, m: int) -> None:
    (root / "dags").mkdir()
    (root / "dags" / "load_dags.py").write_text(GUSTY_LOADER.format(y=START[0], mo=START[1], d=START[2], tz=TIMEZONE))
    for i in range(n):
        folder = root / "gusty_dags" / dag_id(i)
        folder.mkdir(parents=True)
        (folder / "METADATA.yml").write_text(gusty_metadata(i))
        for t in task_plan(m):
            name, text = gusty_task(t)
            (folder / name).write_text(text)


# -- the layouts the benchmark loads -------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """One way of writing the DAGs: the folder Airflow reads, its DAG files, and what one DAG's edit touches."""

    name: str
    dags: pathlib.Path
    files: tuple[pathlib.Path, ...]
    edited: Callable[[int], pathlib.Path]  # the file a user edits to change DAG i
    reparsed: Callable[[int], pathlib.Path]  # the DAG file the processor re-parses after that edit

    @property
    def per_dag_files(self) -> bool:
        return len(self.files) > 1


def generate(root: pathlib.Path, n: int, m: int, groups: list[int] | None = None) -> dict[str, Layout]:
    """Write the workload under ``root`` (replacing it) and return its layouts by name; ``groups``: the
    group of each DAG (:func:`dop_group_of`, computed here when not given)."""
    group_of = groups if groups is not None else dop_group_of(n)
    root = root.resolve()
    if root.exists():
        shutil.rmtree(root)
    writers = {"dop": write_dop, "hand": write_hand, "dagfactory": write_dagfactory, "gusty": write_gusty}
    for folder, write in writers.items():
        (root / folder).mkdir(parents=True)
        write(root / folder, n, m)
    dop, hand, factory, gusty = (root / f for f in writers)
    return {layout.name: layout for layout in (
        Layout("hand-written", hand / "dags", tuple(hand / "dags" / f"{dag_id(i)}.py" for i in range(n)),
               lambda i: hand / "dags" / f"{dag_id(i)}.py", lambda i: hand / "dags" / f"{dag_id(i)}.py"),
        Layout("DOP", dop / "dags", tuple(dop / "dags" / f"dop_dags_{g}.py" for g in range(dop_groups(n))),
               lambda i: dop / "orchestration" / dag_name(i) / "config.yaml",
               lambda i: dop / "dags" / f"dop_dags_{group_of[i]}.py"),
        Layout("DOP one loader file", dop / "dags_one_loader", (dop / "dags_one_loader" / "dop_dags.py",),
               lambda i: dop / "orchestration" / dag_name(i) / "config.yaml",
               lambda i: dop / "dags_one_loader" / "dop_dags.py"),
        Layout("DOP per-DAG files", dop / "dags_per_dag",
               tuple(dop / "dags_per_dag" / f"{dag_id(i)}.py" for i in range(n)),
               lambda i: dop / "orchestration" / dag_name(i) / "config.yaml",
               lambda i: dop / "dags_per_dag" / f"{dag_id(i)}.py"),
        Layout("dag-factory", factory / "dags", (factory / "dags" / "load_dags.py",),
               lambda i: factory / "configs" / f"{dag_id(i)}.yml", lambda i: factory / "dags" / "load_dags.py"),
        Layout("gusty", gusty / "dags", (gusty / "dags" / "load_dags.py",),
               lambda i: gusty / "gusty_dags" / dag_id(i) / "METADATA.yml", lambda i: gusty / "dags" / "load_dags.py"),
    )}


def edit(path: pathlib.Path) -> None:
    """Change one file as a user's edit does (a comment line: new bytes, new mtime)."""
    with path.open("a") as handle:
        handle.write(EDIT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("--dags", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=10)
    args = parser.parse_args()
    layouts = generate(args.root, args.dags, args.tasks)
    for layout in layouts.values():
        print(f"{layout.name}: {layout.dags} ({len(layout.files)} DAG file(s))")


if __name__ == "__main__":
    main()
