"""``options:`` of a dbt task, and the arguments DOP lets through to dbt.

Light module: parse time imports it.
"""

from __future__ import annotations

from typing import Any

import attrs

#: dbt sub-command of each DOP target
TARGETS = {
    "run": ["run"],
    "test": ["test"],
    "build": ["build"],
    "seed": ["seed"],
    "snapshot": ["snapshot"],
    "source freshness": ["source", "freshness"],
    "docs generate": ["docs", "generate"],
    "deps": ["deps"],
    "compile": ["compile"],
    "parse": ["parse"],
}

# Arguments a task may pass, with whether each takes a value. DOP itself sets --project-dir,
# --profiles-dir, --profile and --target (the profile it writes for the DOP target); anything that
# would point dbt elsewhere, change its log files or run arbitrary macros stays out.
ALLOWED_ARGUMENTS: dict[str, bool] = {
    "-m": True, "--models": True, "--model": True, "-s": True, "--select": True,
    "--exclude": True, "--selector": True, "--resource-type": True, "--resource-types": True,
    "--exclude-resource-type": True, "--indirect-selection": True,
    "-x": False, "--fail-fast": False, "--no-fail-fast": False,
    "--threads": True, "--full-refresh": False, "--vars": True, "--target-path": True,
    "--defer": False, "--no-defer": False, "--state": True, "--favor-state": False,
    "--store-failures": False, "--warn-error": False, "--empty": False, "--no-partial-parse": False,
    "--static": False, "--no-compile": False, "--empty-catalog": False,
    "--show": False, "--output": True, "--output-path": True,
}
#: The original DOP's docs upload, understood for `docs generate` only and never passed to dbt: the task's
#: docs go to gs://<--bucket>/<--bucket-path> (see dop_dbt.tasks.docs_destination).
BUCKET_ARGUMENTS = ("--bucket", "--bucket-path")
#: which targets understand --full-refresh (a DOP full refresh adds it to these only)
FULL_REFRESH_TARGETS = ("run", "build", "seed", "compile")
#: targets that take a node selection
SELECTING_TARGETS = ("run", "test", "build", "seed", "snapshot", "source freshness", "compile", "docs generate")


def allowed_text() -> str:
    return ", ".join(ALLOWED_ARGUMENTS)


@attrs.frozen
class DbtArgument:
    """One ``{option, value}`` of ``options.arguments``."""

    option: str = attrs.field(metadata={"doc": "a dbt command-line option, e.g. --select or -x"})
    value: Any = attrs.field(default=None, metadata={
        "doc": "its value (omit for flags); Jinja-templated ({{ ds }}); --vars also takes a mapping"})


def _version(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a dbt version: write e.g. '1.11', '1.11.2' or '>=1.10,<1.12'")
    from dop_dbt.versions import parse_wanted

    parse_wanted(value)
    return value.strip()


@attrs.frozen
class ExpandOptions:
    """``options.expand`` as a mapping (``expand: true`` is the same with the defaults)."""

    select: list[str] = attrs.field(factory=list, metadata={
        "doc": "which models get a task: names, tag:<tag> or path:<folder> (default: every model)"})
    tests: bool = attrs.field(default=True, metadata={
        "doc": "a test task after each model that has tests (target run), or tests inside each task (build)"})


def _expand(value: Any) -> Any:
    if value is True:
        return ExpandOptions()
    if value is False:
        return None
    if isinstance(value, dict):
        unknown = set(value) - {"select", "tests"}
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))} in expand; keys: select, tests")
        select = value.get("select", [])
        if isinstance(select, str):
            select = [select]
        if not isinstance(select, list) or not all(isinstance(s, str) for s in select):
            raise ValueError("expand.select is a list of model names, tag:<tag> or path:<folder>")
        tests = value.get("tests", True)
        if not isinstance(tests, bool):
            raise ValueError("expand.tests is true or false")
        return ExpandOptions(select=select, tests=tests)
    raise ValueError(f"{value!r} is not true, false or {{select: [...], tests: true}}")


@attrs.frozen
class DbtOptions:
    """``options:`` of a ``kind: {action: dbt, target: ...}`` task."""

    project: str = attrs.field(metadata={
        "doc": "the dbt project: a folder name under the service project's dbt/, or a path relative to it"})
    arguments: list[DbtArgument] = attrs.field(factory=list, metadata={
        "doc": "extra dbt arguments as [{option, value}]; allowed: " + allowed_text()})
    version: str | None = attrs.field(default=None, metadata={
        "parse": _version, "expected": "a dbt version such as '1.11' or a specifier such as '>=1.10,<1.12'",
        "doc": "the dbt version the project needs; checked against the dbt that runs"})
    expand: Any = attrs.field(default=None, metadata={
        "parse": _expand, "expected": "true, false or {select: [...], tests: true}",
        "doc": "one Airflow task per dbt model (and its tests) from the project's manifest (run and build only)"})
    pool: bool = attrs.field(default=True, metadata={
        "doc": "run in the dbt project's one-slot Airflow pool (never two dbt commands on a project at once)"})
