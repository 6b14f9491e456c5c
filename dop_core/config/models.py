"""The models of a service project: ``dop_project.yml`` (:class:`ProjectFile`, :class:`Project`, its
:class:`Target` s) and a DAG's ``config.yaml`` (:class:`DagConfig`, its :class:`TaskConfig` s and
:class:`TriggerConfig` s). Every key a user may write is a field here, with its parser and its doc
(docs/reference/config.md is generated from them); :mod:`dop_core.config.project` reads the files into them."""

from __future__ import annotations

import datetime as dt
import functools
import os
import pathlib
import zoneinfo
from typing import Any, Literal

import attrs

from dop_core.config import bounds
from dop_core.config.identifiers import (
    DATABASE_SCHEMA,
    IDENTIFIER_EXPECTED,
    IDENTIFIER_SCHEMA,
    check_database,
    check_identifier,
)
from dop_core.config.json_schema import any_case
from dop_core.config.sqltest import SqlTest
from dop_core.config.yaml import Document
from dop_core.errors import ConfigError, Location, Problem

PROJECT_FILE = "dop_project.yml"
#: the Airflow Variable the original DOP read each DAG's task concurrency from, and its default
DAG_CONCURRENCY_VARIABLE = "DAG_CONCURRENCY"
DEFAULT_DAG_CONCURRENCY = 2
DAG_ID_PREFIX = "dop__"
#: Airflow's longest DAG id and tag (``airflow.sdk``'s ID_LEN and TAG_MAX_LEN): building a DAG refuses longer ones
AIRFLOW_ID_LEN, AIRFLOW_TAG_LEN = 250, 100
#: the original DOP's runs of a DAG at once; a continuous schedule (@continuous) allows one only
DEFAULT_MAX_ACTIVE_RUNS = 5
#: the original DOP's start date (in each DAG's time zone): a DAG without start_date runs for any date
DEFAULT_START_DATE = dt.date(1970, 1, 1)
DEFAULT_TARGETS = {"local": {"engine": "duckdb", "path": ".dop/warehouse.duckdb"}}
SQL_DIALECTS = ("bigquery", "duckdb", "postgres", "snowflake", "spark", "trino", "redshift", "databricks", "mysql")


def _identifier(what: str):
    def parse(value: Any) -> str:
        return check_identifier(value, what)
    return parse


SCHEDULE_PRESETS = ("@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly",
                    "@annually", "@midnight")
#: what _schedule accepts (a cron expression has 5 to 7 fields, as croniter reads them)
SCHEDULE_SCHEMA = {"anyOf": [{"type": "null"}, {"enum": list(SCHEDULE_PRESETS)},
                             {"type": "string", "pattern": r"^\s*\S+(?:\s+\S+){4,6}\s*$"},
                             {"type": "object", "required": ["assets"], "additionalProperties": False,
                              "properties": {"assets": {"type": "array", "minItems": 1}}}]}


def timezone_schema() -> dict[str, Any]:
    """The time zones _timezone accepts (read from the system's database when a schema is written)."""
    return {"type": "string", "enum": sorted(zoneinfo.available_timezones() | {"UTC"})}


def _schedule(value: Any) -> Any:
    """A cron expression, an Airflow preset (@daily), or {assets: [schema.table, ...]}."""
    if isinstance(value, dict):
        if set(value) != {"assets"} or not isinstance(value["assets"], list) or not value["assets"]:
            raise ValueError("a data-aware schedule is written {assets: [schema.table, ...]}")
        return {"assets": [str(a) for a in value["assets"]]}
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a schedule")
    if value in SCHEDULE_PRESETS:
        return value
    if not _valid_cron(value):
        raise ValueError(f"{value!r} is not a valid cron expression")
    return value


@functools.lru_cache(maxsize=1024)  # a project's DAGs share a few schedules
def _valid_cron(expression: str) -> bool:
    from croniter import croniter

    return bool(croniter.is_valid(expression))


def _timezone(value: Any) -> str:
    try:
        zoneinfo.ZoneInfo(str(value))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone") from None
    return str(value)


SCHEDULE_EXPECTED = "a cron expression such as '0 4 * * *', a preset such as '@daily', null, or {assets: [...]}"


@attrs.frozen
class Kind:
    action: str = attrs.field(metadata={"doc": "what the task does: materialization, assertion, invocation, "
                                              "airflow_operator, egress, or a plugin's action (dbt, spark...)"})
    target: str = attrs.field(metadata={"doc": "the variant of the action (table, view, run, ...)"})


@attrs.frozen
class IntegerRange:
    start: int
    end: int
    interval: int = 1


_DATA_TYPE_ALIASES = {"datatime": "datetime", "integer": "int64", "int": "int64"}


def _data_type(value: Any) -> str:
    text = _DATA_TYPE_ALIASES.get(str(value).lower(), str(value).lower())
    if text not in ("date", "timestamp", "datetime", "int64"):
        raise ValueError(f"partitioning.data_type {value!r} is not one of date, timestamp, datetime, int64")
    return text


GRANULARITIES = ("hour", "day", "month", "year")


def _granularity(value: Any) -> str:
    if str(value).lower() not in GRANULARITIES:
        raise ValueError(f"partitioning.granularity {value!r} is not one of hour, day, month, year")
    return str(value).lower()


@attrs.frozen
class Partitioning:
    field: str = attrs.field(metadata={"parse": _identifier("column name"), "expected": IDENTIFIER_EXPECTED,
                                       "schema": IDENTIFIER_SCHEMA,
                                       "doc": "the partitioning column of the query's result"})
    data_type: str = attrs.field(default="date", metadata={
        "parse": _data_type, "expected": "date, timestamp, datetime or int64",
        "schema": any_case("date", "timestamp", "datetime", "int64", *_DATA_TYPE_ALIASES),
        "doc": "date, timestamp, datetime or int64"})
    granularity: str = attrs.field(default="day", metadata={
        "parse": _granularity, "expected": "hour, day, month or year", "schema": any_case(*GRANULARITIES),
        "doc": "for time partitions: hour, day, month, year"})
    range: IntegerRange | None = attrs.field(default=None, metadata={
        "doc": "for int64 partitions: {start, end, interval}"})

    def __attrs_post_init__(self) -> None:
        if self.data_type == "int64" and self.range is None:
            raise ValueError("int64 partitioning needs range: {start, end, interval}")
        if self.data_type == "date" and self.granularity == "hour":
            raise ValueError("a date column cannot be partitioned by hour")


@attrs.frozen
class TriggerConfig:
    kind: str = attrs.field(metadata={"doc": "the trigger kind (external_task, sql, file, ...)"})
    options: dict[str, Any] = attrs.field(factory=dict, metadata={"doc": "the kind's options"})
    identifier: str | None = attrs.field(default=None, metadata={
        "parse": _identifier("trigger identifier"), "expected": IDENTIFIER_EXPECTED, "schema": IDENTIFIER_SCHEMA,
        "doc": "names the wait task (default: wait_for_<kind>[_n])"})
    typed_options: Any = attrs.field(default=None, alias="_typed_options")
    #: the trigger's index in its `triggers:` list
    position: int = attrs.field(default=0, alias="_position", metadata={"position": True})


RETRIES = bounds.whole_number(0, fix="write 0 for no retry, or a number such as 3")
RETRY_DELAY = bounds.duration("write e.g. 5m")
OWNER = bounds.owner("write the team or person answering for it, e.g. data-team, or leave the key out")


@attrs.frozen
class TaskConfig:
    identifier: str = attrs.field(metadata={"parse": _identifier("task identifier"), "expected": IDENTIFIER_EXPECTED,
                                            "schema": IDENTIFIER_SCHEMA,
                                            "doc": "the task id; also the name of its SQL file and table"})
    kind: Kind = attrs.field(metadata={"doc": "{action, target}: what the task is"})
    dependencies: list[str] = attrs.field(factory=list, metadata={
        "doc": "identifiers of upstream tasks, or `auto`: the tasks of this DAG writing the tables its SQL reads "
               "(see docs/lineage.md)"})
    options: dict[str, Any] = attrs.field(factory=dict, metadata={"doc": "options of the task kind"})
    schema: str | None = attrs.field(default=None, metadata={
        "parse": _identifier("schema name"), "expected": IDENTIFIER_EXPECTED, "schema": IDENTIFIER_SCHEMA,
        "doc": "schema (BigQuery dataset) of the task's relation; default: the DAG's"})
    database: str | None = attrs.field(default=None, metadata={
        "parse": check_database, "schema": DATABASE_SCHEMA,
        "doc": "database (BigQuery project); default: the DAG's or the target's"})
    partitioning: Partitioning | None = attrs.field(default=None, metadata={
        "doc": "{field, data_type}: partition a materialized table; later runs replace only new partitions"})
    description: str | None = attrs.field(default=None, metadata={"doc": "shown as the task's docs in Airflow"})
    retries: int | None = attrs.field(default=None, metadata={**RETRIES, "doc": "Airflow retries of this task"})
    retry_delay: dt.timedelta | None = attrs.field(default=None, metadata={
        **RETRY_DELAY, "doc": "delay between retries, e.g. 5m"})
    execution_timeout: dt.timedelta | None = attrs.field(default=None, metadata={
        **bounds.duration("write e.g. 1h, or leave the key out for no timeout"),
        "doc": "fail the task after this long, e.g. 1h"})
    pool: str | None = attrs.field(default=None, metadata={
        **bounds.pool("write the name of a pool created in Airflow (Admin > Pools), e.g. warehouse"),
        "doc": "Airflow pool the task runs in"})
    owner: str | None = attrs.field(default=None, metadata={**OWNER, "doc": "owner shown in Airflow"})
    trigger_rule: str | None = attrs.field(default=None, metadata={"doc": "Airflow trigger rule, e.g. all_done"})
    triggers: list[TriggerConfig] = attrs.field(factory=list, metadata={"doc": "what this task waits for"})
    tests: list[SqlTest] = attrs.field(factory=list, metadata={
        "doc": "unit tests of the task's SQL, run by `dop test` (also read from tests/<identifier>.yaml)"})
    # filled in by validation: the options structured with the task type's options model
    typed_options: Any = attrs.field(default=None, alias="_typed_options")
    #: the task's index in `tasks:` (where its errors are reported, even after an invalid task)
    position: int = attrs.field(default=0, alias="_position", metadata={"position": True})
    #: `dependencies: auto` as written (``dependencies`` is then empty): see dop_core.lineage
    auto_dependencies: bool = attrs.field(default=False, alias="_auto_dependencies")

    def __attrs_post_init__(self) -> None:
        if self.dependencies == "auto":  # YAML's `dependencies: auto`
            object.__setattr__(self, "dependencies", [])
            object.__setattr__(self, "auto_dependencies", True)


TaskConfig.__annotations__["dependencies"] = list[str] | Literal["auto"]  # as written; __attrs_post_init__ splits it


@attrs.frozen
class DagConfig:
    tasks: list[TaskConfig] = attrs.field(metadata={"doc": "the DAG's tasks"})
    enabled: bool = attrs.field(default=True, metadata={"doc": "false hides the DAG from Airflow"})
    schedule_interval: Any = attrs.field(default=None, metadata={
        "parse": _schedule, "expected": SCHEDULE_EXPECTED, "doc": SCHEDULE_EXPECTED, "schema": SCHEDULE_SCHEMA})
    timezone: str = attrs.field(default="UTC", metadata={"parse": _timezone, "schema": timezone_schema,
                                                         "expected": "an IANA time zone "
                                                         "such as Europe/London", "doc": "time zone of the schedule"})
    start_date: dt.date | None = attrs.field(default=None, metadata={
        "doc": "first logical date (YYYY-MM-DD); without it, 1970-01-01 in the DAG's time zone (as the original DOP): "
               "any date can be run"})
    catchup: bool = attrs.field(default=False, metadata={"doc": "run missed intervals since start_date"})
    schema: str | None = attrs.field(default=None, metadata={
        "parse": _identifier("schema name"), "expected": IDENTIFIER_EXPECTED, "schema": IDENTIFIER_SCHEMA,
        "doc": "default schema (BigQuery dataset) of the DAG's tasks"})
    database: str | None = attrs.field(default=None, metadata={
        "parse": check_database, "schema": DATABASE_SCHEMA,
        "doc": "default database (BigQuery project) of the DAG's tasks"})
    params: dict[str, Any] = attrs.field(factory=dict, metadata={
        "expected": "a mapping of key: value, or key: {default, type, ...} (below)",
        "doc": "DAG params, typed by their value or declared with a schema; each overridable by the run's conf "
               "and the Airflow Variable <dag_id>.<key>, always within its type"})
    description: str | None = attrs.field(default=None, metadata={"doc": "one line shown in Airflow"})
    tags: list[str] = attrs.field(factory=list, metadata={
        "doc": "Airflow tags (dop is always added)",
        "schema": {"type": "array", "items": {"type": "string", "maxLength": AIRFLOW_TAG_LEN, "pattern": r"\S"}}})
    owner: str | None = attrs.field(default=None, metadata={**OWNER, "doc": "default owner of the tasks"})
    retries: int = attrs.field(default=3, metadata={
        **RETRIES, "doc": "default retries of the tasks (the original DOP's 3)"})
    retry_delay: dt.timedelta | None = attrs.field(default=dt.timedelta(minutes=5), metadata={
        **RETRY_DELAY, "doc": "default delay between retries, e.g. 5m"})
    max_active_runs: int | None = attrs.field(default=None, metadata={
        **bounds.whole_number(1, fix="write 1 for one run at a time, or more"),
        "doc": f"runs of this DAG at once; default: {DEFAULT_MAX_ACTIVE_RUNS} (the original DOP's), 1 with a "
               "continuous schedule (@continuous), the most Airflow allows there"})
    max_active_tasks: int | None = attrs.field(default=None, metadata={
        **bounds.whole_number(1, fix="write 1 for one task at a time, or more"),
        "doc": "tasks of one run at once (Airflow 1's `concurrency`); default: the Airflow Variable "
               f"`{DAG_CONCURRENCY_VARIABLE}` when set, else {DEFAULT_DAG_CONCURRENCY} (as the original DOP)"})
    dagrun_timeout: dt.timedelta | None = attrs.field(default=None, metadata={
        **bounds.duration("write e.g. 6h, or leave the key out for no timeout"),
        "doc": "fail a run after this long, e.g. 6h"})
    triggers: list[TriggerConfig] = attrs.field(factory=list, metadata={"doc": "what the DAG waits for"})
    dependencies: Literal["explicit", "auto"] = attrs.field(default="explicit", metadata={
        "doc": "auto: every task also depends on the tasks of this DAG writing the tables its SQL reads "
               "(see docs/lineage.md); explicit: only the dependencies written"})
    # filled in by validation: each param as a dop_core.config.params.ParamSpec (its default and JSON schema)
    typed_params: dict[str, Any] = attrs.field(factory=dict, alias="_typed_params")
    # ... the typed settings of each plugin whose kinds the DAG uses (by plugin name)
    typed_settings: dict[str, Any] = attrs.field(factory=dict, alias="_typed_settings")
    # ... the files and folders validating it read beyond its folder and dop_project.yml (None: not known)
    inputs: tuple[str, ...] | None = attrs.field(default=(), alias="_inputs")
    # filled in by the loader
    name: str = attrs.field(default="", alias="_name")
    folder: pathlib.Path | None = attrs.field(default=None, alias="_folder")
    document: Document | None = attrs.field(default=None, alias="_document", repr=False, eq=False)

    @property
    def dag_id(self) -> str:
        return DAG_ID_PREFIX + self.name

    @property
    def config_path(self) -> pathlib.Path:
        assert self.folder is not None
        return self.folder / "config.yaml"

    def task(self, identifier: str) -> TaskConfig:
        return next(t for t in self.tasks if t.identifier == identifier)

    @property
    def written_task_ids(self) -> set[str]:
        """The identifier of every task written in config.yaml, with those of the tasks left out of ``tasks`` for
        an error of their own: a dependency or trigger naming such a task is no second mistake."""
        ids = {t.identifier for t in self.tasks}
        written = self.document.data.get("tasks") if self.document is not None else None
        if isinstance(written, list):
            ids |= {t["identifier"] for t in written if isinstance(t, dict) and isinstance(t.get("identifier"), str)}
        return ids

    @property
    def runs_at_once(self) -> int:
        """Airflow's max_active_runs: as written, else the default (1 with a continuous schedule)."""
        if self.max_active_runs is not None:
            return self.max_active_runs
        return 1 if self.schedule_interval == "@continuous" else DEFAULT_MAX_ACTIVE_RUNS


@attrs.frozen
class Target:
    """Where native SQL runs: a name from ``dop_project.yml`` ``targets`` and its engine's options."""

    name: str
    engine: str
    options: dict[str, Any] = attrs.field(factory=dict)
    typed_options: Any = None
    #: the project folder: relative paths in a target's options resolve against it
    root: pathlib.Path | None = None
    #: the project's declared data folders (``data_paths``): paths outside the project allowed in
    data_paths: tuple[pathlib.Path, ...] = ()


@attrs.frozen
class DeploySettings:
    include: list[str] = attrs.field(factory=list, metadata={
        "doc": "dotfiles (hidden files and folders) `dop deploy` uploads, as globs relative to the project, "
               "e.g. dbt/*/.sqlfluff; no other dotfile is ever uploaded"})


@attrs.frozen
class ProjectFile:
    name: str = attrs.field(metadata={"parse": _identifier("project name"), "expected": IDENTIFIER_EXPECTED,
                                      "schema": IDENTIFIER_SCHEMA,
                                      "doc": "the project's name"})
    dialect: str = attrs.field(default="bigquery", metadata={
        "doc": "SQL dialect the project's SQL is written in (translated to each engine's)",
        "parse": lambda v: _one_of(v, SQL_DIALECTS), "schema": {"enum": list(SQL_DIALECTS)}})
    targets: dict[str, dict[str, Any]] = attrs.field(factory=dict, metadata={
        "doc": "named targets: {engine: duckdb|bigquery|<plugin>, ...engine options}"})
    default_target: str = attrs.field(default="local", metadata={"doc": "target used when DOP_TARGET is unset"})
    orchestration: str = attrs.field(default="orchestration", metadata={
        "doc": "folder of the DAG folders (inside the project)"})
    data_paths: list[str] = attrs.field(factory=list, metadata={
        "doc": "folders outside the project that paths in the configuration may name (seed files, the DuckDB "
               "warehouse, exported files), absolute or relative to the project; any other path, symbolic "
               "links followed, must stay inside the project"})
    deploy: DeploySettings = attrs.field(factory=DeploySettings, metadata={"doc": "settings of `dop deploy`"})
    plugins: dict[str, Any] = attrs.field(factory=dict, metadata={
        "doc": "settings of installed plugins by plugin name (e.g. dbt: {...}); each plugin validates its own"})


def _one_of(value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        from dop_core.errors import did_you_mean

        hint = did_you_mean(str(value), choices)
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}" + (f" ({hint})" if hint else ""))
    return str(value)


@attrs.frozen
class Project:
    root: pathlib.Path
    name: str
    dialect: str
    targets: dict[str, Target]
    default_target: str
    orchestration_dir: pathlib.Path
    document: Document | None = attrs.field(default=None, repr=False, eq=False)
    #: ``plugins:`` of dop_project.yml: each plugin's own settings, validated by that plugin
    plugins: dict[str, Any] = attrs.field(factory=dict)
    #: ``data_paths:`` of dop_project.yml, absolute: folders outside the project paths may name
    data_paths: tuple[pathlib.Path, ...] = ()
    #: ``deploy.include`` of dop_project.yml: dotfiles ``dop deploy`` uploads
    deploy_include: tuple[str, ...] = ()

    @property
    def dop_dir(self) -> pathlib.Path:
        """Where DOP keeps local state: the warehouse, the Airflow home, logs, caches."""
        return self.root / ".dop"

    def dag_folders(self) -> list[pathlib.Path]:
        if not self.orchestration_dir.is_dir():
            return []
        return sorted(p.parent for p in self.orchestration_dir.glob("*/config.yaml"))

    def target(self, name: str | None = None) -> Target:
        name = name or os.environ.get("DOP_TARGET") or self.default_target
        if name not in self.targets:
            loc = self.document.at(("targets",)) if self.document else Location(str(self.root / PROJECT_FILE))
            from dop_core.errors import did_you_mean

            raise ConfigError([Problem(loc, f"unknown target {name!r}", "one of " + ", ".join(self.targets),
                                       did_you_mean(name, self.targets) or f"add `{name}:` under targets")])
        return self.targets[name]

    def dag_name(self, name_or_id: str) -> str:
        """The folder name of a DAG named by folder or by dag id."""
        return name_or_id.removeprefix(DAG_ID_PREFIX)


def trigger_task_ids(config: DagConfig, triggers: list[TriggerConfig], owner: TaskConfig | None) -> list[str]:
    """The wait-task id of each trigger: its identifier, or wait_for_<kind>[_<task>][_<n>]."""
    ids = []
    for n, trig in enumerate(triggers):
        if trig.identifier:
            ids.append(trig.identifier)
            continue
        base = f"wait_for_{trig.kind}" + (f"__{owner.identifier}" if owner else "")
        ids.append(base if sum(t.kind == trig.kind and not t.identifier for t in triggers) == 1 else f"{base}_{n + 1}")
    return ids


def trigger_groups(tasks: list[TaskConfig], triggers: list[TriggerConfig]
                   ) -> list[tuple[tuple[Any, ...], list[TriggerConfig], TaskConfig | None]]:
    """Each list of triggers of a DAG: the DAG's own, then each task's, with where it is written and its task."""
    groups: list[tuple[tuple[Any, ...], list[TriggerConfig], TaskConfig | None]] = [(("triggers",), triggers, None)]
    groups += [(("tasks", t.position, "triggers"), t.triggers, t) for t in tasks]
    return groups
