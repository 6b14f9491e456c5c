"""Validating one DAG folder: its config, each task's and trigger's kind and options (the kind's own
validator included), dependencies and task ids; every problem with its file, line and column."""

from __future__ import annotations

import os
import pathlib
from typing import Any

import attrs

from dop_core.config.models import (
    AIRFLOW_ID_LEN,
    AIRFLOW_TAG_LEN,
    DAG_ID_PREFIX,
    DagConfig,
    Project,
    Target,
    TaskConfig,
    TriggerConfig,
    trigger_groups,
    trigger_task_ids,
)
from dop_core.config.params import structure_params
from dop_core.config.project import parse_dag_config
from dop_core.config.structure import MISSING, Structurer
from dop_core.contract.contexts import ValidationContext
from dop_core.contract.records import TriggerType
from dop_core.contract.registry import Registry, get_registry
from dop_core.errors import ConfigError, LookupProblem, Problem, did_you_mean
from dop_core.validate.settings import PluginSettingsStore

AIRFLOW_TRIGGER_RULES = ("all_success", "all_failed", "all_done", "all_done_min_one_success", "all_skipped",
                         "one_success", "one_done", "one_failed", "none_failed", "none_failed_min_one_success",
                         "none_skipped", "always", "all_done_setup_success")


def validate_dag(project: Project, folder: pathlib.Path, registry: Registry | None = None,
                 warnings: list[Problem] | None = None, target: Target | None = None,
                 thorough: bool = False, settings: PluginSettingsStore | None = None) -> DagConfig:
    """Load and validate one DAG folder; return its config with typed options or raise ConfigError.

    Warnings (deprecated spellings...) are appended to ``warnings`` when given. ``thorough`` (``dop
    validate``) lets validators run the checks too heavy for Airflow's parsing (see ValidationContext).
    A disabled DAG
    (``enabled: false``) is checked as written (keys, types, kinds, options, dependencies) but nothing it
    names is resolved: no operator imported, no SQL file or dbt project looked for, as the original DOP.
    ``settings`` holds the plugins' settings of the project for ``target``, computed once for many DAGs.
    """
    registry = registry or get_registry()
    problems: list[Problem] = []
    config = parse_dag_config(folder, problems)
    if config is None:
        raise ConfigError(problems)
    assert config.document is not None
    s = _Kinds(config.document, problems, project, config, registry, target, thorough,
               settings or PluginSettingsStore(project, registry, target))
    tasks: list[TaskConfig] = []
    seen: dict[str, int] = {}
    for task in config.tasks:  # a task's path is its own position: invalid tasks are not in config.tasks
        path = ("tasks", task.position)
        if task.identifier in seen:
            s.problem((*path, "identifier"), f"duplicate task identifier {task.identifier!r} "
                      f"(also task #{seen[task.identifier] + 1})", "unique identifiers", "rename one of the tasks")
        seen.setdefault(task.identifier, task.position)
        tasks.append(_validate_task(task, path, s))
    _check_dependencies(config, s)
    _check_airflow_limits(config, s)
    if config.catchup and config.start_date is None:
        s.problem(("catchup",), "catchup: true without a start_date would run every interval since 1970-01-01 "
                  "(the start of a DAG that names none)", "a start_date with catchup",
                  "add `start_date: YYYY-MM-DD`, the first date to catch up from")
    triggers = [_validate_trigger(trig, ("triggers", trig.position), s, None) for trig in config.triggers]
    _check_trigger_ids(config, tasks, triggers, s)
    params = structure_params(config.params, s)
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    if warnings is not None:
        warnings.extend(problems)
    return attrs.evolve(config, tasks=tasks, triggers=triggers, _typed_params=params, _typed_settings=s.used,
                        _inputs=None if s.inputs is None else tuple(dict.fromkeys(s.inputs)))


def sql_file(project: Project, config: DagConfig, identifier: str) -> pathlib.Path | None:
    """``sql/<identifier>.sql`` of the DAG folder if it exists; OutsideProject if it is a link out of the project.
    For every task of a DAG, :class:`SqlFiles` lists the folder once instead."""
    from dop_core.config.paths import resolve_project_path

    if config.folder is None:
        return None
    path = config.folder.joinpath("sql", f"{identifier}.sql")
    if not path.is_file():
        return None
    resolve_project_path(project, path, what="SQL file")
    return path


class SqlFiles:
    """The SQL files of one DAG's ``sql/`` folder, as :func:`sql_file` finds them, listed once: building and
    validating a DAG look up every task's file at every parse, and one directory listing (which tells
    regular files from links) costs less than an ``lstat`` per task. Only a link, or a folder that is itself
    a link or outside the project, is followed to where it leads."""

    def __init__(self, project: Project, config: DagConfig):
        self.project, self.config = project, config
        #: file name -> whether it is a regular file (not a link), when the folder itself is plain
        self.entries: dict[str, bool] | None = None
        if config.folder is not None and _plain_sql_folder(project, config):
            try:
                with os.scandir(config.folder / "sql") as found:
                    self.entries = {e.name: e.is_file(follow_symlinks=False) for e in found}
            except FileNotFoundError:
                self.entries = {}
            except OSError:
                self.entries = None

    def get(self, identifier: str) -> pathlib.Path | None:
        """The task's ``sql/<identifier>.sql`` if it exists; OutsideProject if it is a link out of the project."""
        name = f"{identifier}.sql"
        if self.entries is not None and self.config.folder is not None:
            regular = self.entries.get(name)
            if regular is None:
                return None
            if regular:
                return self.config.folder.joinpath("sql", name)
        return sql_file(self.project, self.config, identifier)


def _plain_sql_folder(project: Project, config: DagConfig) -> bool:
    """Whether the DAG's ``sql/`` folder is inside the project with no symbolic link on the way to it."""
    from dop_core.config.paths import OutsideProject, resolve_project_path

    assert config.folder is not None
    folder = config.folder / "sql"
    try:
        return resolve_project_path(project, folder) == pathlib.Path(os.path.normpath(folder))
    except OutsideProject:
        return False


class _Kinds(Structurer):
    """Validates the kinds of one DAG's tasks and triggers: what they share, and what they add up to (the
    plugins' settings they used, the files their validators read)."""

    def __init__(self, doc: Any, problems: list[Problem], project: Project, config: DagConfig, registry: Registry,
                 target: Target | None, thorough: bool, settings: PluginSettingsStore):
        super().__init__(doc, problems)
        self.project, self.config, self.registry = project, config, registry
        self.target, self.thorough, self.settings = target, thorough, settings
        self.used: dict[str, Any] = {}
        self.inputs: list[str] | None = []
        self._sql_files: SqlFiles | None = None

    def sql_path(self, identifier: str, at: tuple[Any, ...]) -> tuple[bool, pathlib.Path | None]:
        """Whether ``sql/<identifier>.sql`` may be used (not a link out of the project, else a problem), and
        its path if it exists."""
        from dop_core.config.paths import OutsideProject

        if self._sql_files is None:
            self._sql_files = SqlFiles(self.project, self.config)
        try:
            return True, self._sql_files.get(identifier)
        except OutsideProject as exc:
            self.problem(at, exc.message, "a SQL file inside the project", exc.fix)
            return False, None

    def check(self, record: Any, ctx: ValidationContext) -> bool:
        """Run ``record``'s validator on ``ctx`` (with its plugin's settings) and note what it read; False when
        the plugin's settings are wrong (their problems are added, once per DAG, at dop_project.yml)."""
        if not ctx.dag.enabled:  # a disabled DAG's operators, files and plugins are never resolved
            return True
        what = "trigger kind" if isinstance(record, TriggerType) else "task kind"
        missing = record.requires and record.requires.problem(ctx.location(("kind",)), f"{what} {record.label}")
        if missing:
            self.problems.append(missing)
            return True
        settings = self.settings.for_provider(record.provider)
        if settings.problems:
            self.problems.extend(p for p in settings.problems if p not in self.problems)
        if settings.value is MISSING:
            return False
        if settings.value is not None:
            self.used[record.provider] = settings.value
            ctx = attrs.evolve(ctx, settings=settings.value)
        validator = record.load("validate")
        if validator is not None:
            try:
                self.problems.extend(validator(ctx) or ())
            except Exception as exc:  # a plugin's validator crashing is reported at the task, not raised
                self.problems.append(ctx.problem((), f"validator of this kind failed: {type(exc).__name__}: {exc}"))
        self._note_inputs(record, ctx)
        return True

    def _note_inputs(self, record: Any, ctx: ValidationContext) -> None:
        if self.inputs is None:
            return
        try:
            found = record.input_paths(ctx)
        except Exception as exc:  # a plugin that cannot say what it read: never cached
            self.problems.append(ctx.problem((), f"the inputs of this kind cannot be listed: {type(exc).__name__}: "
                                             f"{exc}", severity="warning"))
            found = None
        self.inputs = None if found is None else [*self.inputs, *found]


def _validate_task(task: TaskConfig, path: tuple[Any, ...], s: _Kinds) -> TaskConfig:
    for j, trig in enumerate(task.triggers):
        task = attrs.evolve(task, triggers=[*task.triggers[:j],
                                            _validate_trigger(trig, (*path, "triggers", trig.position), s, task),
                                            *task.triggers[j + 1:]])
    if task.trigger_rule and task.trigger_rule not in AIRFLOW_TRIGGER_RULES:
        s.problem((*path, "trigger_rule"), f"unknown trigger rule {task.trigger_rule!r}",
                  "one of " + ", ".join(AIRFLOW_TRIGGER_RULES), did_you_mean(task.trigger_rule, AIRFLOW_TRIGGER_RULES))
    try:
        task_type = s.registry.task_type(task.kind.action, task.kind.target)
    except LookupProblem as exc:
        bad = "action" if task.kind.action not in s.registry.actions() else "target"
        s.problems.append(exc.problem(s.doc.at((*path, "kind", bad))))
        return task
    options = s.structure(task.options, task_type.options_model, (*path, "options"))
    usable, sql_path = s.sql_path(task.identifier, (*path, "identifier"))
    if not usable:  # a SQL file linked out of the project: nothing more to check
        return task
    config = s.config
    if task_type.sql_file == "required" and sql_path is None and config.enabled:
        s.problem((*path, "identifier"), f"task {task.identifier!r} ({task_type.name}) needs the SQL file "
                  f"sql/{task.identifier}.sql, which does not exist", "a file sql/<identifier>.sql in the DAG folder",
                  f"create {config.name}/sql/{task.identifier}.sql")
    if options is MISSING:
        return task
    ctx = ValidationContext(s.project, config, path, options, task=task, sql_path=sql_path, target=s.target,
                            thorough=s.thorough)
    if not s.check(task_type, ctx):
        return task
    return attrs.evolve(task, _typed_options=options)


def _validate_trigger(trig: TriggerConfig, path: tuple[Any, ...], s: _Kinds, task: TaskConfig | None) -> TriggerConfig:
    try:
        trigger_type = s.registry.named("trigger", trig.kind)
    except LookupProblem as exc:
        s.problems.append(exc.problem(s.doc.at((*path, "kind"))))
        return trig
    options = s.structure(trig.options, trigger_type.options_model, (*path, "options"))
    if options is MISSING:
        return trig
    usable, sql_path = s.sql_path(trig.identifier, (*path, "identifier")) if trig.identifier else (True, None)
    if not usable:
        return trig
    ctx = ValidationContext(s.project, s.config, path, options, task=task, trigger=trig, sql_path=sql_path,
                            target=s.target, thorough=s.thorough)
    if not s.check(trigger_type, ctx):
        return trig
    return attrs.evolve(trig, _typed_options=options)


def _check_trigger_ids(config: DagConfig, tasks: list[TaskConfig], triggers: list[TriggerConfig],
                       s: Structurer) -> None:
    taken = {t.identifier for t in tasks}
    for path, trigs, owner in trigger_groups(tasks, triggers):
        for trig, tid in zip(trigs, trigger_task_ids(config, trigs, owner), strict=True):
            if tid in taken:
                s.problem((*path, trig.position), f"trigger task id {tid!r} is already used", "unique task ids",
                          "give the trigger a different `identifier`")
            taken.add(tid)


AUTO_IN_A_LIST = ("`auto` stands alone (`dependencies: auto`, see docs/lineage.md); to add the dependencies read "
                  "from the SQL to the ones listed, write `dependencies: auto` on the DAG")


def _check_airflow_limits(config: DagConfig, s: Structurer) -> None:
    """The limits Airflow puts on a DAG's id, tags and runs at once, found here rather than when the DAG is built
    (or, for a blank tag, shown in the UI as an empty chip)."""
    if len(config.dag_id) > AIRFLOW_ID_LEN:
        s.problem((), f"the DAG id {config.dag_id[:40]}... is {len(config.dag_id)} characters long, more than "
                  f"Airflow's {AIRFLOW_ID_LEN}", f"a DAG folder name of at most {AIRFLOW_ID_LEN - len(DAG_ID_PREFIX)} "
                  "characters", "rename the DAG folder")
    for i, tag in enumerate(config.tags):
        if len(tag) > AIRFLOW_TAG_LEN:
            s.problem(("tags", i), f"the tag is {len(tag)} characters long, more than Airflow's {AIRFLOW_TAG_LEN}",
                      f"a tag of at most {AIRFLOW_TAG_LEN} characters", "shorten the tag")
        elif not tag.strip():
            s.problem(("tags", i), "the tag is blank", f"a tag of 1 to {AIRFLOW_TAG_LEN} characters, not all spaces",
                      "write a word, e.g. finance, or remove it")
    if config.schedule_interval == "@continuous" and config.runs_at_once > 1:
        s.problem(("max_active_runs",), f"a continuous schedule runs one run at a time; max_active_runs is "
                  f"{config.runs_at_once}", "max_active_runs: 1 with schedule_interval: '@continuous'",
                  "write max_active_runs: 1, or leave it out")


def _check_dependencies(config: DagConfig, s: Structurer) -> None:
    """Each dependency names another task of the DAG, and they form no cycle. A task with an error of its own (left
    out of ``config.tasks``) is known: depending on it is no second error, only its own is reported."""
    ids = [t.identifier for t in config.tasks]
    known, written = set(ids), config.written_task_ids
    graph: dict[str, list[str]] = {}
    for task in config.tasks:
        deps = []
        for j, dep in enumerate(task.dependencies):
            if dep == task.identifier:
                s.problem(("tasks", task.position, "dependencies", j), f"task {dep!r} depends on itself", None,
                          "remove it from its own dependencies")
            elif dep in written - known:
                continue
            elif dep not in known:
                s.problem(("tasks", task.position, "dependencies", j), f"unknown dependency {dep!r}",
                          "the identifier of another task of this DAG",
                          AUTO_IN_A_LIST if dep == "auto" else did_you_mean(dep, ids) or "check the identifier")
            else:
                deps.append(dep)
        graph.setdefault(task.identifier, deps)
    cycle = find_cycle(graph)
    if cycle:
        first = config.tasks[ids.index(cycle[0])].position
        s.problem(("tasks", first, "dependencies"), "dependency cycle: " + " -> ".join([*cycle, cycle[0]])
                  + " (each task depends on the next)", "dependencies that form no loop",
                  "remove one of these dependencies")


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A cycle in ``task -> its dependencies`` as a list of tasks, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                return stack[stack.index(dep):]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None
