"""dbt versions: what a task asks for (``options.version``) against what is configured or installed."""

from __future__ import annotations

import pathlib
import re

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

_PLAIN = re.compile(r"\d+(\.\d+){0,2}")


def parse_wanted(text: str) -> SpecifierSet:
    """``1.11`` means 1.11.*, ``1.11.2`` exactly that, anything else is a PEP 440 specifier (``>=1.10``)."""
    text = text.strip()
    if _PLAIN.fullmatch(text):
        parts = text.split(".")
        return SpecifierSet(f"=={text}" if len(parts) == 3 else f"=={text}.*")
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise ValueError(f"{text!r} is not a dbt version: write e.g. '1.11', '1.11.2' or '>=1.10,<1.12'") from None


def installed_version(output: str) -> str | None:
    """The dbt-core version in ``dbt --version`` output (``installed: 1.11.2``, or ``dbt-fusion 2.0.0``)."""
    m = re.search(r"installed:\s*v?(\d+\.\d+\.\d+\S*)", output) or re.search(r"dbt[- ]\w*\s+v?(\d+\.\d+\.\d+\S*)",
                                                                           output)
    return m.group(1) if m else None


def matches(wanted: str, version: str) -> bool:
    try:
        return Version(version) in parse_wanted(wanted)
    except InvalidVersion:
        return False


def compatible(wanted: str, requirements: list[str]) -> str | None:
    """Why a task's ``version`` cannot be met by the dbt-core requirement, or None if it may be.

    Checked on a few candidate versions: the bounds the two specifiers name (a cheap, exact-enough
    test for the ranges people write; an installed dbt is checked for real when the task runs).
    """
    core = [Requirement(r) for r in requirements if Requirement(r).name.lower() == "dbt-core"]
    if not core:
        return None
    allowed = core[0].specifier
    asked = parse_wanted(wanted)
    candidates: set[Version] = set()
    for spec in (*allowed, *asked):
        try:
            v = Version(spec.version.removesuffix(".*"))
        except InvalidVersion:
            continue
        candidates |= {v, Version(f"{v.major}.{v.minor}.{v.micro + 1}"), Version(f"{v.major}.{v.minor}.99"),
                       Version(f"{v.major}.{max(v.minor - 1, 0)}.99")}
    if any(c in allowed and c in asked for c in candidates):
        return None
    return f"no dbt-core version satisfies both {str(asked)!r} (options.version) and {core[0]}"


def venv_version(venv: pathlib.Path) -> str | None:
    """dbt-core's version in a virtualenv, from its metadata (instant), or None if it has none."""
    for dist in venv.glob("lib/python*/site-packages/dbt_core-*.dist-info"):
        return dist.name.removeprefix("dbt_core-").removesuffix(".dist-info")
    return None


def what_runs(requirements: list[str], venv: pathlib.Path) -> str:
    """The dbt-core a task gets from the managed virtualenv: the version installed there, or (not built
    yet) the specifier its newest matching release is picked by, lower bound first (``>=1.10,<1.12``)."""
    built = venv_version(venv)
    if built:
        return built
    core = [Requirement(r) for r in requirements if Requirement(r).name.lower() == "dbt-core"]
    if not core or not str(core[0].specifier):
        return "*"
    return ",".join(sorted(map(str, core[0].specifier), key=lambda spec: not spec.startswith(">")))
