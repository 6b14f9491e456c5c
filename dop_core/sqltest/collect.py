"""Finding a project's SQL tests: each task's ``tests:`` and the ``tests/<task>.yaml`` files of each DAG folder.

Everything that can be checked without running is checked here, each problem at its file, line and
column: the YAML and its keys (the config structurer), a test file named after no task, a test of a
task whose SQL ``dop test`` cannot run, a param the DAG does not have or a value that does not fit it.
"""

from __future__ import annotations

import fnmatch
import pathlib
from collections.abc import Sequence

import attrs

from dop_core.config.models import DagConfig, Project, TaskConfig
from dop_core.config.params import ParamSpec, json_value, schema_error, structure_params
from dop_core.config.project import parse_dag_config, read_text
from dop_core.config.sqltest import SqlTest
from dop_core.config.structure import MISSING, Structurer, yaml_spelling
from dop_core.config.yaml import Document, Path, load_yaml
from dop_core.contract.records import TaskType
from dop_core.contract.registry import get_registry
from dop_core.errors import ConfigError, Location, LookupProblem, Problem, did_you_mean

TEST_FOLDER = "tests"


@attrs.frozen
class Case:
    """One test of one task, and where it is written."""

    dag: DagConfig
    task: TaskConfig
    test: SqlTest
    document: Document
    #: where the test is in its document
    path: Path

    @property
    def task_name(self) -> str:
        return f"{self.dag.name}.{self.task.identifier}"

    @property
    def task_type(self) -> TaskType | None:
        """The task's kind (None when no installed plugin registers it)."""
        try:
            return get_registry().task_type(self.task.kind.action, self.task.kind.target)
        except LookupProblem:
            return None

    @property
    def location(self) -> Location:
        return self.document.at((*self.path, "name"))

    def problem(self, *subpath: str | int, message: str, expected: str | None = None, fix: str | None = None,
                key: bool = False) -> Problem:
        """A problem at ``subpath`` of the test (``"given", "retail.orders"``...)."""
        return Problem(self.document.at((*self.path, *subpath), key=key), message, expected, fix)


@attrs.frozen
class Suite:
    """The tests of one DAG, with the DAG's params as its config types them."""

    config: DagConfig
    params: dict[str, ParamSpec]
    cases: list[Case]


def collect(project: Project, dag: str | None = None, select: Sequence[str] = ()) -> tuple[list[Suite], list[Problem]]:
    """The tests of the project (or of DAG ``dag``) that ``select`` picks, and every problem found reading them."""
    folders = project.dag_folders()
    if dag is not None:
        name = project.dag_name(dag)
        names = [f.name for f in folders]
        if name not in names:
            where = Location(str(project.orchestration_dir / name / "config.yaml"))
            raise ConfigError([Problem(where, f"no DAG {dag!r} in this project", "one of " + ", ".join(names),
                                       did_you_mean(name, names))])
        folders = [project.orchestration_dir / name]
    suites: list[Suite] = []
    problems: list[Problem] = []
    for folder in folders:
        suite = _suite(folder, problems)
        if suite is not None:
            cases = [c for c in suite.cases if selected(c, select)]
            if cases:
                suites.append(attrs.evolve(suite, cases=cases))
    return suites, problems


def selected(case: Case, patterns: Sequence[str]) -> bool:
    """Whether ``--select`` picks ``case``: a pattern (``*`` and ``?`` wildcards) matching its task's identifier,
    ``DAG.TASK``, or the test's name."""
    names = (case.task.identifier, case.task_name, case.test.name)
    return not patterns or any(fnmatch.fnmatchcase(n, p) for p in patterns for n in names)


def _suite(folder: pathlib.Path, problems: list[Problem]) -> Suite | None:
    found: list[Problem] = []
    config = parse_dag_config(folder, found)
    if config is not None:
        assert config.document is not None
        params = structure_params(config.params, Structurer(config.document, found))
    errors = [p for p in found if p.severity == "error"]
    if config is None or errors:
        problems += errors
        return None
    assert config.document is not None
    tasks = {t.identifier: t for t in config.tasks}
    cases = [Case(config, task, test, config.document, ("tasks", task.position, "tests", test.position))
             for task in config.tasks for test in task.tests]
    files = sorted(p for pattern in ("*.yaml", "*.yml") for p in (folder / TEST_FOLDER).glob(pattern))
    for path in files:
        task = tasks.get(path.stem)
        if task is None:
            problems.append(Problem(Location(str(path)), f"{TEST_FOLDER}/{path.name} is named after no task of "
                                    f"{config.dag_id}", "a file named after a task: tests/<identifier>.yaml",
                                    did_you_mean(path.stem, tasks) or f"rename it after one of: {', '.join(tasks)}"))
            continue
        cases += _file_cases(path, config, task, problems)
    runnable = []
    for case in cases:
        found = _case_problems(case, params)
        problems += found
        if not found:
            runnable.append(case)
    return Suite(config, params, runnable)


def _file_cases(path: pathlib.Path, config: DagConfig, task: TaskConfig, problems: list[Problem]) -> list[Case]:
    try:
        doc = load_yaml(read_text(path), str(path))
    except ConfigError as exc:
        problems += exc.problems
        return []
    if doc.data == {}:  # an empty file
        return []
    if not isinstance(doc.data, list):
        problems.append(Problem(doc.at(()), f"{TEST_FOLDER}/{path.name} holds {yaml_spelling(doc.data)}, not a list "
                                "of tests", "a list of tests, each `- name: ...` with `given:` and `expect:`",
                                "start each test with `- name:`"))
        return []
    tests = Structurer(doc, problems).structure(doc.data, list[SqlTest], ())
    return [] if tests is MISSING else [Case(config, task, test, doc, (test.position,)) for test in tests]


def _case_problems(case: Case, params: dict[str, ParamSpec]) -> list[Problem]:
    found = []
    task_type = case.task_type
    if task_type is None or task_type.test is None:
        kinds = ", ".join(t.name for t in get_registry().task_types.values() if t.test is not None)
        found.append(case.problem(message=f"`dop test` runs the SQL of {kinds} tasks; task "
                                  f"{case.task.identifier!r} is {case.task.kind.action}/{case.task.kind.target}",
                                  expected="a test of a task whose SQL makes rows",
                                  fix="test the tasks that read this one's output, or remove the test"))
    if case.test.existing is not None and not (task_type and task_type.incremental):
        found.append(case.problem("existing", message="`existing` gives the rows a table holds before an incremental "
                                  f"run; task {case.task.identifier!r} is of no incremental kind",
                                  fix="remove `existing`"))
    for key, value in case.test.params.items():
        spec = params.get(key)
        if spec is None:
            found.append(case.problem("params", key, key=True, message=f"the DAG has no param {key!r}",
                                      expected="one of " + (", ".join(params) or "(none: the DAG declares no params)"),
                                      fix=did_you_mean(key, params) or "declare it under params: in config.yaml"))
            continue
        wrong = schema_error(spec.schema(), json_value(value))
        if wrong is not None:
            found.append(case.problem("params", key, expected=spec.describe(),
                                      message=f"{yaml_spelling(value)} does not fit param {key!r}: {wrong}"))
    return found
