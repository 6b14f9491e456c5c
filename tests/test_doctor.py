"""`dop doctor`: Python, Airflow, plugins (and their load errors), each target's warehouse reached with its
options, DOP's folders writable, the plugins' own checks; each line ok / warn / fail with a fix; exit 1 when
something fails; `--format json`."""

from __future__ import annotations

import json
import os
import platform

import pytest
from test_plugins import BROKEN_IMPORT, fake_distribution

from dop_core import DoctorCheck
from dop_core.cli.doctor import exit_status, run_checks
from dop_core.testing import ProjectFactory, run_dop


def lines(stdout: str) -> dict[str, tuple[str, str]]:
    """``{name: (status, message)}`` from `dop doctor`'s text output."""
    found = {}
    for line in stdout.splitlines():
        if line[:4].strip() in ("ok", "warn", "fail"):
            name, _, message = line[6:].partition("  ")
            found[name.strip()] = (line[:4].strip(), message.strip())
    return found


@pytest.fixture
def shop(tmp_path, refusing_port):
    factory = ProjectFactory(tmp_path / "shop", f"""\
        name: shop
        targets:
          local: {{engine: duckdb, path: .dop/warehouse.duckdb}}
          folder: {{engine: duckdb, path: data}}
          prod: {{engine: bigquery, project: p, api_endpoint: "http://127.0.0.1:{refusing_port}"}}
        """)
    (factory.root / "data").mkdir()
    return factory.root


def test_doctor_checks_the_environment_and_each_target(shop):
    result = run_dop("doctor", cwd=shop)
    found = lines(result.stdout)
    assert found["python"][0] == "ok" and found["python"][1].startswith(f"Python {platform.python_version()} (")
    status, message = found["airflow"]
    assert status == "ok" and message.startswith("Apache Airflow 3.")
    assert found["plugins"][0] == "ok" and "built-in plugins" in found["plugins"][1]
    assert found["project"] == ("ok", f"shop ({shop})")
    assert found["target local"] == ("ok", "(in use) engine duckdb: connected, SELECT 1 answered")
    # the targets not in use that cannot be reached are warnings (no production credentials on a laptop)
    status, message = found["target folder"]
    assert status == "warn" and message.startswith("(not in use) engine duckdb: EngineError: the DuckDB warehouse "
                                                   "of target 'folder' is "), message
    assert message.endswith("data, a folder: set the target's `path` to a file, e.g. .dop/warehouse.duckdb")
    status, message = found["target prod"]
    assert status == "warn" and message.startswith("(not in use) engine bigquery: "), message
    assert found[".dop folder"] == ("ok", f"{shop / '.dop'} is writable")
    assert found["parse cache"][0] == "ok"
    text = result.stdout  # each warning is followed by its fix
    after = text[text.index("target folder"):].splitlines()[1]
    assert after.strip().startswith("fix: check the target's options"), after
    assert text.splitlines()[-1].endswith("0 failed, 2 warning(s)")
    assert result.returncode == 0, result.stdout + result.stderr

    as_json = run_dop("doctor", "--target", "folder", "--format", "json", cwd=shop)
    checks = {c["name"]: c for c in json.loads(as_json.stdout)}  # stdout is the JSON alone
    assert checks["target folder"]["status"] == "fail" and checks["target folder"]["fix"]
    assert "target local" not in checks and set(checks["python"]) == {"name", "status", "message", "fix"}
    assert as_json.returncode == 1  # the target in use cannot be reached


def test_doctor_outside_a_project_warns_and_passes(tmp_path):
    result = run_dop("doctor", cwd=tmp_path)
    found = lines(result.stdout)
    assert found["project"][0] == "warn", result.stdout
    assert not any(name.startswith("target ") for name in found)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_plugin_that_fails_to_load_fails_the_doctor(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    fake_distribution(site, "dop-broken", "dop_broken_plugin", BROKEN_IMPORT, "broken")
    result = run_dop("doctor", cwd=tmp_path,
                     env={"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])})
    status, message = lines(result.stdout)["plugin dop-broken"]
    assert status == "fail" and "RuntimeError: this plugin is broken on purpose" in message
    assert "fix: reinstall it (pip install --force-reinstall dop-broken) or skip it with DOP_DISABLE_PLUGINS=broken" \
        in result.stdout
    assert result.returncode == 1


class NeedsATool:
    """A plugin whose doctor check finds its tool missing."""

    @staticmethod
    def dop_doctor(project):
        return [DoctorCheck("mytool", "fail", f"mytool is not on PATH (project {project.name})", "pip install mytool")]


class BrokenCheck:
    @staticmethod
    def dop_doctor(project):
        raise ValueError("boom")


def test_plugins_add_their_own_checks(dop_plugin_manager, register_plugin, tmp_path):
    from dop_core import hookimpl

    for plugin in (NeedsATool, BrokenCheck):
        plugin.dop_doctor = hookimpl(plugin.dop_doctor)
    register_plugin(NeedsATool, "needs-a-tool")
    register_plugin(BrokenCheck, "broken-check")
    root = ProjectFactory(tmp_path / "p", "name: p\n").root
    checks = {c.name: c for c in run_checks(str(root))}
    assert checks["mytool"] == DoctorCheck("mytool", "fail", "mytool is not on PATH (project p)", "pip install mytool")
    assert checks["plugin broken-check"].status == "fail"
    assert "its doctor check raised ValueError: boom" in checks["plugin broken-check"].message
    assert exit_status(list(checks.values())) == 1
