"""``dop test``: collect the tests, run them, and report each as PASS, FAIL (with the row diff) or ERROR."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

from dop_core.config.models import Project
from dop_core.errors import Problem
from dop_core.sqltest.diff import as_json, describe
from dop_core.sqltest.run import Result

_LABELS = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}


@attrs.frozen
class Report:
    results: list[Result]
    #: problems found reading the tests (those tests did not run)
    problems: list[Problem]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and all(r.status == "passed" for r in self.results)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def run_tests(project: Project, dag: str | None = None, select: Sequence[str] = (),
              target: str | None = None) -> Report:
    """Every test of the project (or of ``dag``) that ``select`` picks, run on an in-memory DuckDB.

    ``target`` is the target the SQL is rendered for (``params.task.database``...), as a run on it would."""
    import time

    from dop_core.sqltest.collect import collect
    from dop_core.sqltest.run import run_suite, warm_up
    from dop_core.validate.render import Renderer
    from dop_core.validate.targets import resolve_target

    start = time.perf_counter()
    suites, problems = collect(project, dag, select)
    resolved = resolve_target(project, target) if suites else None
    if suites:
        warm_up(project.dialect)  # each test's time is its own, not that of importing DuckDB and sqlglot
    results = []
    for suite in suites:
        assert resolved is not None
        renderer = Renderer(project, suite.config, resolved, {k: s.default for k, s in suite.params.items()})
        results += run_suite(suite, renderer, project.dialect)
    return Report(results, problems, time.perf_counter() - start)


def text(report: Report) -> list[tuple[str, bool]]:
    """The report for people: each line, and whether it belongs on stderr (problems, and a failing summary)."""
    lines = [(str(p), True) for p in report.problems]
    for result in report.results:
        case = result.case
        lines.append((f"{_LABELS[result.status]:<5} {case.task_name}: {case.test.name} ({result.seconds:.2f}s)", False))
        if result.status == "passed":
            continue
        details = [str(case.location)]
        if result.diff is not None:
            details += describe(result.diff)
        details += [line for p in result.problems for line in str(p).splitlines()]
        details += result.message.splitlines() if result.message else []
        lines += [(f"      {line}", False) for line in details]
    if not report.results and not report.problems:
        return [("no tests found: add tests/<task>.yaml to a DAG folder (docs/testing-sql.md)", False)]
    summary = (f"{report.count('passed')} passed, {report.count('failed')} failed, {report.count('error')} error(s)"
               + (f", {len(report.problems)} problem(s) in the tests" if report.problems else "")
               + f" in {report.seconds:.2f}s")
    return [*lines, (summary, not report.ok)]


def as_dict(report: Report) -> dict[str, Any]:
    """The report for machines (``--format json``)."""
    def problem(p: Problem) -> dict[str, Any]:
        return {"path": p.location.path, "line": p.location.line, "column": p.location.column,
                "severity": p.severity, "message": p.message, "expected": p.expected, "fix": p.fix}

    tests = []
    for r in report.results:
        loc = r.case.location
        tests.append({"dag": r.case.dag.name, "task": r.case.task.identifier, "name": r.case.test.name,
                      "status": r.status, "seconds": round(r.seconds, 4),
                      "location": {"path": loc.path, "line": loc.line, "column": loc.column},
                      "diff": as_json(r.diff) if r.diff is not None else None,
                      "problems": [problem(p) for p in r.problems], "message": r.message})
    return {"ok": report.ok, "passed": report.count("passed"), "failed": report.count("failed"),
            "errors": report.count("error"), "seconds": round(report.seconds, 4), "tests": tests,
            "problems": [problem(p) for p in report.problems]}


def as_json_text(report: Report) -> str:
    return json.dumps(as_dict(report), indent=2)
