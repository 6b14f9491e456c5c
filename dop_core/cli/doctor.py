"""``dop doctor``: check the environment DOP runs in, as ``dbt debug`` does, each finding with a fix.

Checked: Python's and Airflow's versions against what dop-core requires; the installed plugins, what each
registers and any that failed to load; each target of the project (its engine registered, its extra
installed, the warehouse reachable with the target's credentials: a ``SELECT 1`` within :data:`PROBE_TIMEOUT`
seconds); DOP's folders (the project's ``.dop/`` and the parse cache) writable; and whatever the plugins
check through the :func:`~dop_core.contract.hookspecs.dop_doctor` hook (dop-dbt its virtualenv, dop-spark Java).
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
import threading
from importlib import metadata
from typing import Any

import attrs

from dop_core.contract.records import DoctorCheck
from dop_core.errors import LookupProblem

#: seconds a target's warehouse has to answer ``SELECT 1``
PROBE_TIMEOUT = 15.0
def run_checks(project_dir: str | None, target: str | None = None) -> list[DoctorCheck]:
    """Every check, in order: Python, Airflow, plugins, then (inside a project) its targets and ``.dop/``, the
    parse cache, and the plugins' own checks."""
    checks = [python_check(), airflow_check(), *plugin_checks()]
    project = None
    try:
        from dop_core.config.project import load_project

        project = load_project(project_dir)
    except Exception as exc:  # outside a project, or a broken dop_project.yml: say so, check the rest
        checks.append(DoctorCheck("project", "warn", _first_line(exc),
                                  "run dop doctor in a service project (or pass --project DIR) to check its targets"))
    if project is not None:
        checks.append(DoctorCheck("project", "ok", f"{project.name} ({project.root})"))
        checks += target_checks(project, target)
        checks.append(writable_check(".dop folder", project.dop_dir, "DOP's state: warehouse, Airflow home, logs"))
    checks.append(writable_check("parse cache", _cache_dir(), "cached configs and entry points"))
    checks += hooked_checks(project)
    return [_redacted(check) for check in checks]


def _redacted(check: DoctorCheck) -> DoctorCheck:
    from dop_core.secrets import redact

    return attrs.evolve(check, message=redact(check.message), fix=redact(check.fix) if check.fix else None)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _requirement(name: str) -> Any:
    """dop-core's requirement on distribution ``name`` (a ``packaging`` Requirement), or None."""
    from packaging.requirements import Requirement

    for line in metadata.requires("dop-core") or []:
        req = Requirement(line)
        if req.name == name and req.marker is None:
            return req
    return None


def python_check() -> DoctorCheck:
    from packaging.specifiers import SpecifierSet

    version = ".".join(map(str, sys.version_info[:3]))
    wanted = SpecifierSet(metadata.metadata("dop-core")["Requires-Python"] or "")
    if version in wanted:
        return DoctorCheck("python", "ok", f"Python {version} ({sys.executable})")
    return DoctorCheck("python", "fail", f"Python {version} ({sys.executable}); dop-core needs Python {wanted}",
                       f"install DOP in a virtualenv of a Python {wanted}")


def airflow_check() -> DoctorCheck:
    req = _requirement("apache-airflow")
    wanted = str(req.specifier) if req is not None else ""
    try:
        version = metadata.version("apache-airflow")
    except metadata.PackageNotFoundError:
        return DoctorCheck("airflow", "fail", "Apache Airflow is not installed",
                           f"pip install 'apache-airflow{wanted}'")
    if req is not None and not req.specifier.contains(version, prereleases=True):
        return DoctorCheck("airflow", "fail", f"Apache Airflow {version}; dop-core needs apache-airflow{wanted}",
                           f"pip install 'apache-airflow{wanted}'")
    return DoctorCheck("airflow", "ok", f"Apache Airflow {version}" + (f" (dop-core needs {wanted})" if wanted else ""))


def plugin_checks() -> list[DoctorCheck]:
    """One line for the built-ins, one per installed plugin (what it registers, or why it failed to load), one per
    registration error (two plugins claiming one kind...)."""
    import contextlib

    from dop_core.contract.registry import get_registry

    with contextlib.redirect_stdout(sys.stderr):
        registry = get_registry()
    builtin = [p for p in registry.plugins if p.builtin]
    checks = [DoctorCheck("plugins", "ok", f"dop-core {metadata.version('dop-core')}: {len(builtin)} built-in "
                          f"plugins, {sum(len(p.registers) for p in builtin)} registrations")]
    for plugin in registry.plugins:
        if plugin.builtin:
            continue
        dist = plugin.distribution or plugin.name
        name, origin = f"plugin {dist}", f"{dist} {plugin.version or ''}".strip()
        if plugin.error:
            checks.append(DoctorCheck(name, "fail", f"{origin} failed to load: {plugin.error}",
                                      f"reinstall it (pip install --force-reinstall {dist}) "
                                      f"or skip it with DOP_DISABLE_PLUGINS={plugin.name}"))
        else:
            registers = ", ".join(plugin.registers) or "nothing"
            checks.append(DoctorCheck(name, "ok", f"{origin} registers {registers}"))
    for error in registry.errors:
        checks.append(DoctorCheck("plugins", "fail", str(error), "uninstall one of the plugins the message names, "
                                  "or disable it with DOP_DISABLE_PLUGINS"))
    return checks


def target_checks(project: Any, only: str | None = None) -> list[DoctorCheck]:
    """Each target (or only ``only``): its engine registered, its extra installed, its warehouse answering, in the
    Airflow environment ``dop run`` gives its tasks (the project's Airflow home: its connections)."""
    from unittest.mock import patch

    from dop_core.cli.airflow_home import airflow_env

    with patch.dict(os.environ, airflow_env(project, only)):
        return _target_checks(project, only)


def _target_checks(project: Any, only: str | None) -> list[DoctorCheck]:
    """A target other than the one in use (``--target``, ``$DOP_TARGET``, ``default_target``) that cannot be reached
    is a warning: a laptop without production credentials is fine for local runs."""
    from dop_core.contract.registry import get_registry

    registry = get_registry()
    in_use = only or os.environ.get("DOP_TARGET") or project.default_target
    checks = []
    for name, target in project.targets.items():
        if only and name != only:
            continue
        found = _target_check(registry, f"target {name}", target)
        if name == in_use:
            found = attrs.evolve(found, message=f"(in use) {found.message}")
        elif found.status == "fail":
            found = attrs.evolve(found, status="warn", message=f"(not in use) {found.message}")
        checks.append(found)
    if only and only not in project.targets:
        checks.append(DoctorCheck(f"target {only}", "fail", f"no target {only!r} in dop_project.yml",
                                  f"name one of: {', '.join(project.targets)}"))
    return checks


def _target_check(registry: Any, label: str, target: Any) -> DoctorCheck:
    try:
        engine = registry.named("engine", target.engine)
    except LookupProblem as exc:
        return DoctorCheck(label, "fail", exc.message, exc.fix)
    if engine.requires is not None and engine.requires.missing():
        return DoctorCheck(label, "warn", f"not checked: {engine.requires.message(f'engine {engine.name}')}",
                           engine.requires.install)
    return probe(label, target)


def probe(label: str, target: Any, timeout: float = PROBE_TIMEOUT) -> DoctorCheck:
    """Connect to ``target``'s warehouse with its credentials and run ``SELECT 1``, within ``timeout`` seconds."""
    from dop_core.contract.runtime import connect

    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            with connect(target) as engine:
                engine.query("SELECT 1")
            outcome.append(None)
        except BaseException as exc:  # reported, never raised
            outcome.append(exc)

    worker = threading.Thread(target=attempt, name="dop-doctor-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    where = f"engine {target.engine}"
    if not outcome:
        return DoctorCheck(label, "fail", f"{where}: no answer to SELECT 1 within {timeout:.0f}s",
                           "check the network and the target's options in dop_project.yml (a running `dop run` "
                           "may hold a DuckDB warehouse)")
    if outcome[0] is not None:
        return DoctorCheck(label, "fail", f"{where}: {type(outcome[0]).__name__}: {_first_line(outcome[0])}",
                           "check the target's options and credentials in dop_project.yml")
    return DoctorCheck(label, "ok", f"{where}: connected, SELECT 1 answered")


def _cache_dir() -> pathlib.Path:
    from dop_core.util.cachedir import user_cache_dir

    return user_cache_dir()


def writable_check(name: str, folder: pathlib.Path, what: str) -> DoctorCheck:
    """Whether a file can be created in ``folder`` (created if missing, as DOP would)."""
    from dop_core.util.private import private_dir

    try:
        private_dir(folder)
        fd, path = tempfile.mkstemp(dir=folder, prefix=".dop-doctor-")
        os.close(fd)
        os.unlink(path)
    except OSError as exc:
        return DoctorCheck(name, "fail", f"{folder} is not writable ({exc.strerror or exc}): {what} cannot be kept",
                           f"make {folder} writable by {_user()}, or free some disk space")
    return DoctorCheck(name, "ok", f"{folder} is writable")


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "you"


def hooked_checks(project: Any) -> list[DoctorCheck]:
    """What the plugins check (the ``dop_doctor`` hook); a plugin whose check raises is itself a failure."""
    from dop_core.contract.registry import get_plugin_manager

    checks: list[DoctorCheck] = []
    for outcome in get_plugin_manager().call_each("dop_doctor", project=project):
        if outcome.error:
            checks.append(DoctorCheck(f"plugin {outcome.plugin}", "fail",
                                      "its doctor check " + outcome.error.removeprefix("dop_doctor() ").splitlines()[0],
                                      "report it to the plugin's authors"))
            continue
        checks += [check for check in outcome.result or [] if isinstance(check, DoctorCheck)]
    return checks


def exit_status(checks: list[DoctorCheck]) -> int:
    """1 when a check failed, else 0 (warnings pass)."""
    return 1 if any(check.status == "fail" for check in checks) else 0
