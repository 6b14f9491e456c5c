"""Validating the targets of ``dop_project.yml``: each one's options against its engine's model."""

from __future__ import annotations

from typing import Any

import attrs

from dop_core.config.models import Project, Target
from dop_core.config.structure import MISSING, Structurer
from dop_core.contract.registry import Registry, get_registry
from dop_core.errors import ConfigError, LookupProblem, Problem


def validate_target(project: Project, target: Target, registry: Registry,
                    chosen: bool = True) -> tuple[Target, list[Problem]]:
    """Structure a target's options with its engine's options model.

    An engine whose extra is not installed (``bigquery`` without ``dop-core[google]``) is an error on the
    chosen target, a warning on the others (they are not used here, but running with them will need it)."""
    problems: list[Problem] = []
    assert project.document is not None
    s = Structurer(project.document, problems)
    try:
        engine = registry.named("engine", target.engine)
    except LookupProblem as exc:
        problems.append(exc.problem(s.doc.at(("targets", target.name, "engine"))))
        return target, problems
    if engine.requires is not None:
        missing = engine.requires.problem(s.doc.at(("targets", target.name, "engine")),
                                          f"target {target.name!r} (engine {target.engine})",
                                          "error" if chosen else "warning")
        problems += [missing] if missing else []
    typed = s.structure(target.options, engine.options_model, ("targets", target.name))
    if problems:
        from dop_core.contract.runtime import target_secrets
        from dop_core.secrets import redact

        problems = [attrs.evolve(p, message=redact(p.message, *target_secrets(target))) for p in problems]
    if typed is MISSING:
        return target, problems
    problems += _target_paths(target, typed, s)
    return attrs.evolve(target, typed_options=typed), problems


def _target_paths(target: Target, typed: Any, s: Structurer) -> list[Problem]:
    """Options marked ``metadata={"path": True}`` (the DuckDB warehouse...) stay inside the project."""
    from dop_core.config.paths import OutsideProject, resolve_project_path

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
