"""dop-dbt's checks for ``dop doctor``: the dbt that the project's dbt tasks would run (the DOP-managed virtualenv,
or ``plugins.dbt.executable``) for the target in use (``$DOP_TARGET`` or the project's default)."""

from __future__ import annotations

import os
import shutil
from typing import Any

from dop_core import DoctorCheck, DopError, plugin_settings, resolve_target

NAME = "dbt"


def checks(project: Any) -> list[DoctorCheck]:
    if project is None:
        return []
    from dop_dbt import dbt_project, venv, versions

    if not dbt_project.available(project.root):
        return [DoctorCheck(NAME, "ok", "no dbt project in this project: nothing to check")]
    target_name = os.environ.get("DOP_TARGET") or project.default_target
    if target_name not in project.targets:
        return []  # dop doctor reports the unknown target itself
    try:
        target = resolve_target(project, target_name)
        effective = plugin_settings(project, target, "dbt")
    except DopError as exc:
        first = (exc.message or str(exc)).splitlines()[0]
        return [DoctorCheck(NAME, "fail", f"plugins.dbt cannot be read: {first}",
                            "run dop validate: it shows each problem of plugins.dbt with its line")]
    if effective.mode == "kubernetes":
        return [DoctorCheck(NAME, "ok", f"on target {target_name} dbt runs in Kubernetes pods "
                                        f"(image {effective.image}): not checked here")]
    if effective.executable:
        found = shutil.which(effective.executable)
        if found is None:
            return [DoctorCheck(NAME, "fail", f"plugins.dbt.executable {effective.executable!r} is not on PATH",
                                "install dbt there, or remove plugins.dbt.executable to use the DOP-managed "
                                "virtualenv")]
        return [DoctorCheck(NAME, "ok", f"dbt is {found} (plugins.dbt.executable)")]
    reqs = venv.requirements_for(effective.requirement, target.engine)
    where = venv.location(project.root, effective.venv, reqs)
    if not venv.executable(where).exists():
        return [DoctorCheck(NAME, "warn", f"the dbt virtualenv for target {target_name} ({', '.join(reqs)}) is not "
                                          f"built yet: {where}",
                            "nothing to do: the first dbt task builds it (a few minutes); to build it now: "
                            f"python -m dop_dbt parse {dbt_project.available(project.root)[0]}")]
    version = versions.venv_version(where) or "unknown version"
    return [DoctorCheck(NAME, "ok", f"dbt-core {version} in {where}")]
