"""Validate a project: every problem, with its file, line and column, without Airflow or a warehouse."""

from __future__ import annotations

import os
import pathlib
import stat
from collections.abc import Iterable
from typing import Any

import attrs

from dop_core.build.context import ValidationContext
from dop_core.config.structure import MISSING, Structurer
from dop_core.errors import ConfigError, Problem, did_you_mean
from dop_core.params import structure_params
from dop_core.plugins import Registry, get_registry
from dop_core.project import DagConfig, Project, Target, TaskConfig, TriggerConfig, parse_dag_config

AIRFLOW_TRIGGER_RULES = ("all_success", "all_failed", "all_done", "all_done_min_one_success", "all_skipped",
                         "one_success", "one_done", "one_failed", "none_failed", "none_failed_min_one_success",
                         "none_skipped", "always", "all_done_setup_success")


def validate_target(project: Project, target: Target, registry: Registry) -> tuple[Target, list[Problem]]:
    """Structure a target's options with its engine's options model."""
    problems: list[Problem] = []
    assert project.document is not None
    s = Structurer(project.document, problems)
    try:
        engine = registry.named("engine", target.engine)
    except LookupError as exc:
        message, _, fix = str(exc).strip("'\"").partition("|")
        s.problem(("targets", target.name, "engine"), message, fix=fix)
        return target, problems
    typed = s.structure(target.options, engine.options_model, ("targets", target.name))
    if problems:
        from dop_core.secrets import redact, target_secrets

        problems = [attrs.evolve(p, message=redact(p.message, *target_secrets(target))) for p in problems]
    if typed is MISSING:
        return target, problems
    problems += _target_paths(target, typed, s)
    return attrs.evolve(target, typed_options=typed), problems


def _target_paths(target: Target, typed: Any, s: Structurer) -> list[Problem]:
    """Options marked ``metadata={"path": True}`` (the DuckDB warehouse...) stay inside the project."""
    from dop_core.paths import OutsideProject, resolve_project_path

    found = []
    for field in attrs.fields(type(typed)):
        value = getattr(typed, field.name)
        if not field.metadata.get("path") or not isinstance(value, str) or value.startswith(":"):
            continue
        try:
            resolve_project_path(target, value, what=f"{field.name} of target {target.name!r}")
        except OutsideProject as exc:
            found.append(Problem(s.doc.at(("targets", target.name, field.alias or field.name)), exc.message,
                                 "a path inside the project or a declared data folder", exc.fix))
    return found


def resolve_target(project: Project, name: str | None = None, registry: Registry | None = None) -> Target:
    """The chosen target with its typed options; ConfigError if its engine or options are wrong."""
    target, problems = validate_target(project, project.target(name), registry or get_registry())
    if problems:
        raise ConfigError(problems)
    return target


def _lookup_error(exc: LookupError) -> tuple[str, str | None]:
    message, _, fix = str(exc.args[0]).partition("|")
    return message, fix or None


def validate_dag(project: Project, folder: pathlib.Path, registry: Registry | None = None,
                 warnings: list[Problem] | None = None, target: Target | None = None,
                 thorough: bool = False) -> DagConfig:
    """Load and validate one DAG folder; return its config with typed options or raise ConfigError.

    Warnings (deprecated spellings...) are appended to ``warnings`` when given. ``thorough`` (``dop
    validate``) lets validators run the checks too heavy for Airflow's parsing (see ValidationContext).
    A disabled DAG
    (``enabled: false``) is checked as written (keys, types, kinds, options, dependencies) but nothing it
    names is resolved: no operator imported, no SQL file or dbt project looked for, as the original DOP.
    """
    registry = registry or get_registry()
    problems: list[Problem] = []
    config = parse_dag_config(folder, problems)
    if config is None:
        raise ConfigError(problems)
    assert config.document is not None
    s = Structurer(config.document, problems)
    tasks: list[TaskConfig] = []
    seen: dict[str, int] = {}
    for task in config.tasks:  # a task's path is its own position: invalid tasks are not in config.tasks
        path = ("tasks", task.position)
        if task.identifier in seen:
            s.problem((*path, "identifier"), f"duplicate task identifier {task.identifier!r} "
                      f"(also task #{seen[task.identifier] + 1})", "unique identifiers", "rename one of the tasks")
        seen.setdefault(task.identifier, task.position)
        tasks.append(_validate_task(project, config, task, path, registry, s, target, thorough))
    _check_dependencies(config, s)
    if config.catchup and config.start_date is None:
        s.problem(("catchup",), "catchup: true without a start_date would run every interval since 1970-01-01 "
                  "(the start of a DAG that names none)", "a start_date with catchup",
                  "add `start_date: YYYY-MM-DD`, the first date to catch up from")
    triggers = [_validate_trigger(project, config, trig, ("triggers", trig.position), registry, s, None, target,
                                  thorough) for trig in config.triggers]
    _check_trigger_ids(config, tasks, triggers, s)
    params = structure_params(config.params, s)
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    if warnings is not None:
        warnings.extend(problems)
    return attrs.evolve(config, tasks=tasks, triggers=triggers, _typed_params=params)


def sql_file(project: Project, config: DagConfig, identifier: str, plain_folder: bool = False) -> pathlib.Path | None:
    """``sql/<identifier>.sql`` of the DAG folder if it exists; OutsideProject if it is a link out of the project.

    ``plain_folder`` (from :func:`plain_sql_folder`, once per DAG) lets a regular file pass with one ``lstat``.
    """
    from dop_core.paths import resolve_project_path

    if config.folder is None:
        return None
    path = config.folder / "sql" / f"{identifier}.sql"
    if plain_folder:
        try:
            if stat.S_ISREG(os.lstat(path).st_mode):
                return path
        except OSError:
            return None
    if not path.is_file():
        return None
    resolve_project_path(project, path, what="SQL file")
    return path


def plain_sql_folder(project: Project, config: DagConfig) -> bool:
    """Whether the DAG's ``sql/`` folder is inside the project with no symbolic link on the way to it."""
    from dop_core.paths import OutsideProject, resolve_project_path

    if config.folder is None:
        return False
    folder = config.folder / "sql"
    try:
        return resolve_project_path(project, folder) == pathlib.Path(os.path.normpath(folder))
    except OutsideProject:
        return False


def _sql_path(project: Project, config: DagConfig, identifier: str, at: tuple[Any, ...],
              s: Structurer) -> pathlib.Path | None:
    from dop_core.paths import OutsideProject

    try:
        return sql_file(project, config, identifier)
    except OutsideProject as exc:
        s.problem(at, exc.message, "a SQL file inside the project", exc.fix)
        return None


def _run_validator(validator: Any, ctx: ValidationContext, s: Structurer) -> None:
    if validator is None or not ctx.dag.enabled:  # a disabled DAG's operators, files and plugins are never resolved
        return
    try:
        found: Iterable[Problem] = validator(ctx) or ()
        s.problems.extend(found)
    except Exception as exc:  # a plugin's validator crashing is reported at the task, not raised
        s.problems.append(ctx.problem((), f"validator of this kind failed: {type(exc).__name__}: {exc}"))


def _validate_task(project: Project, config: DagConfig, task: TaskConfig, path: tuple[Any, ...],
                   registry: Registry, s: Structurer, target: Target | None = None,
                   thorough: bool = False) -> TaskConfig:
    for j, trig in enumerate(task.triggers):
        task = attrs.evolve(task, triggers=[*task.triggers[:j],
                                            _validate_trigger(project, config, trig, (*path, "triggers", trig.position),
                                                              registry, s, task, target, thorough),
                                            *task.triggers[j + 1:]])
    if task.trigger_rule and task.trigger_rule not in AIRFLOW_TRIGGER_RULES:
        s.problem((*path, "trigger_rule"), f"unknown trigger rule {task.trigger_rule!r}",
                  "one of " + ", ".join(AIRFLOW_TRIGGER_RULES), did_you_mean(task.trigger_rule, AIRFLOW_TRIGGER_RULES))
    try:
        task_type = registry.task_type(task.kind.action, task.kind.target)
    except LookupError as exc:
        message, fix = _lookup_error(exc)
        bad = "action" if task.kind.action not in registry.actions() else "target"
        s.problem((*path, "kind", bad), message, fix=fix)
        return task
    options = s.structure(task.options, task_type.options_model, (*path, "options"))
    before = len(s.problems)
    sql_path = _sql_path(project, config, task.identifier, (*path, "identifier"), s)
    if len(s.problems) > before:  # a SQL file linked out of the project: nothing more to check
        return task
    if task_type.sql_file == "required" and sql_path is None and config.enabled:
        s.problem((*path, "identifier"), f"task {task.identifier!r} ({task_type.name}) needs the SQL file "
                  f"sql/{task.identifier}.sql, which does not exist", "a file sql/<identifier>.sql in the DAG folder",
                  f"create {config.name}/sql/{task.identifier}.sql")
    if options is MISSING:
        return task
    ctx = ValidationContext(project, config, path, options, task=task, sql_path=sql_path, target=target,
                            thorough=thorough)
    _run_validator(task_type.validate, ctx, s)
    if thorough and sql_path is not None and target is not None \
            and (task.kind.action, task.kind.target) in TRANSLATED_KINDS:  # sqlglot: too heavy for parsing
        s.problems.extend(_translation_problems(project, sql_path, target, registry))
    return attrs.evolve(task, _typed_options=options)


#: native task kinds whose SQL file DOP translates to the target engine's dialect as one query
TRANSLATED_KINDS = {("materialization", "table"), ("materialization", "view"), ("assertion", "assertion"),
                    ("assertion", "assertion_sensor")}


def _translation_problems(project: Project, sql_path: pathlib.Path, target: Target,
                          registry: Registry) -> list[Problem]:
    from dop_core.sql.check import translation_problems

    try:
        engine = registry.named("engine", target.engine)
        sql = sql_path.read_text(encoding="utf-8")
    except (LookupError, OSError, UnicodeDecodeError):
        return []  # reported elsewhere (unknown engine, unreadable file)
    return translation_problems(sql, sql_path, project.dialect, engine.dialect, engine.single_catalog)


def _validate_trigger(project: Project, config: DagConfig, trig: TriggerConfig, path: tuple[Any, ...],
                      registry: Registry, s: Structurer, task: TaskConfig | None,
                      target: Target | None = None, thorough: bool = False) -> TriggerConfig:
    try:
        trigger_type = registry.named("trigger", trig.kind)
    except LookupError as exc:
        message, fix = _lookup_error(exc)
        s.problem((*path, "kind"), message, fix=fix)
        return trig
    options = s.structure(trig.options, trigger_type.options_model, (*path, "options"))
    if options is MISSING:
        return trig
    before = len(s.problems)
    sql_path = _sql_path(project, config, trig.identifier, (*path, "identifier"), s) if trig.identifier else None
    if len(s.problems) > before:
        return trig
    ctx = ValidationContext(project, config, path, options, task=task, trigger=trig, sql_path=sql_path,
                            target=target, thorough=thorough)
    _run_validator(trigger_type.validate, ctx, s)
    return attrs.evolve(trig, _typed_options=options)


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


def _check_trigger_ids(config: DagConfig, tasks: list[TaskConfig], triggers: list[TriggerConfig],
                       s: Structurer) -> None:
    taken = {t.identifier for t in tasks}
    for path, trigs, owner in trigger_groups(tasks, triggers):
        for trig, tid in zip(trigs, trigger_task_ids(config, trigs, owner), strict=True):
            if tid in taken:
                s.problem((*path, trig.position), f"trigger task id {tid!r} is already used", "unique task ids",
                          "give the trigger a different `identifier`")
            taken.add(tid)


def _check_dependencies(config: DagConfig, s: Structurer) -> None:
    ids = [t.identifier for t in config.tasks]
    known = set(ids)
    graph: dict[str, list[str]] = {}
    for task in config.tasks:
        deps = []
        for j, dep in enumerate(task.dependencies):
            if dep == task.identifier:
                s.problem(("tasks", task.position, "dependencies", j), f"task {dep!r} depends on itself", None,
                          "remove it from its own dependencies")
            elif dep not in known:
                s.problem(("tasks", task.position, "dependencies", j), f"unknown dependency {dep!r}",
                          "the identifier of another task of this DAG",
                          did_you_mean(dep, ids) or "check the identifier")
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


@attrs.frozen
class ProjectReport:
    """The outcome of validating a whole project: the valid DAG configs and every problem."""

    project: Project | None
    dags: list[DagConfig]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


def validate_project(root: Any = None, target: str | None = None) -> ProjectReport:
    from dop_core.project import load_project

    try:
        project = load_project(root)
    except ConfigError as exc:
        return ProjectReport(None, [], exc.problems)
    registry = get_registry()
    problems: list[Problem] = []
    if project.document is not None:  # broken plugins are reported where they hurt: on the project
        problems += [Problem(project.document.at(()), e, severity="warning") for e in registry.errors]
    typed_targets = {}
    for t in project.targets.values():
        typed_targets[t.name], found = validate_target(project, t, registry)
        problems += found
    chosen = typed_targets.get(target or os.environ.get("DOP_TARGET") or project.default_target)
    dags = []
    for folder in project.dag_folders():
        try:
            dags.append(validate_dag(project, folder, registry, problems, target=chosen, thorough=True))
        except ConfigError as exc:
            problems.extend(exc.problems)
    problems += _check_asset_schedules(dags)
    return ProjectReport(project, dags, problems)


WRITING_KINDS = {("materialization", "table"), ("materialization", "view"), ("materialization", "seed")}


def _check_asset_schedules(dags: list[DagConfig]) -> list[Problem]:
    """Warn about a DAG scheduled on a table no DAG of the project writes (a typo would never run it)."""
    written = {f"{t.schema or d.schema}.{t.identifier}" for d in dags for t in d.tasks
               if (t.kind.action, t.kind.target) in WRITING_KINDS}
    problems = []
    for config in dags:
        schedule = config.schedule_interval
        if not isinstance(schedule, dict) or config.document is None:
            continue
        for i, name in enumerate(schedule["assets"]):
            if name not in written:
                problems.append(Problem(
                    config.document.at(("schedule_interval", "assets", i)),
                    f"no DAG of this project writes {name!r}; this DAG runs only when something records an "
                    "event for that asset", "a table one of the project's materializations writes (schema.table)",
                    did_you_mean(name, sorted(written)) or "check the name", severity="warning"))
    return problems
