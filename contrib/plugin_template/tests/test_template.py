"""The plugin template: renders to the expected files, `dop new-plugin` works from an installed dop-core,
and a rendered plugin installs into a fresh environment, shows in `dop plugins` and passes its tests."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile

import pytest

from dop_core import DopError
from dop_core.testing import clean_env, create_plugin, missing_server, plugin_name, run_dop, template_dir

REPO = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _cookiecutter_scratch(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain cookiecutter leaves its hook scripts in the temp folder: give it one of pytest's."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("cookiecutter-scratch")))
TEMPLATE = REPO / "contrib" / "plugin_template"

EXPECTED_FILES = [
    "LICENSE",
    "README.md",
    "docs/index.md",
    "dop_my_thing/__init__.py",
    "dop_my_thing/operator.py",
    "dop_my_thing/options.py",
    "dop_my_thing/plugin.py",
    "dop_my_thing/py.typed",
    "pyproject.toml",
    "tests/test_entry_point.py",
    "tests/test_plugin.py",
]


def _files(folder: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_cookiecutter_renders_the_expected_files(tmp_path: pathlib.Path) -> None:
    from cookiecutter.main import cookiecutter

    out = pathlib.Path(
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context={"plugin_name": "my-thing"}, output_dir=str(tmp_path)
        )
    )
    assert out == tmp_path / "dop-my-thing"
    assert _files(out) == EXPECTED_FILES
    meta = tomllib.loads((out / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "dop-my-thing"
    assert meta["project"]["entry-points"]["dop"] == {"my_thing": "dop_my_thing.plugin"}
    plugin = (out / "dop_my_thing" / "plugin.py").read_text()
    assert 'action="my_thing", target="message"' in plugin
    assert (
        "class MyThingMessageOperator(VariableParamsMixin, BaseOperator)"
        in (out / "dop_my_thing" / "operator.py").read_text()
    )
    # Jinja meant for Airflow survives the rendering of the template
    assert "hello on {{ ds }}" in (out / "tests" / "test_plugin.py").read_text()
    for path in out.rglob("*"):
        if path.is_file():
            assert "cookiecutter" not in path.read_text(), path
            if path.suffix == ".py":
                compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize("bad", ["Bad Name", "dop-thing", "9lives", "a--b"])
def test_cookiecutter_refuses_bad_names(tmp_path: pathlib.Path, bad: str) -> None:
    from cookiecutter.exceptions import FailedHookException
    from cookiecutter.main import cookiecutter

    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE), no_input=True, extra_context={"plugin_name": bad}, output_dir=str(tmp_path)
        )
    assert list(tmp_path.iterdir()) == []


def test_plugin_name_normalises_and_refuses() -> None:
    assert plugin_name("dop-warehouse") == "warehouse"
    assert plugin_name("My_Engine") == "my_engine"
    with pytest.raises(DopError, match="cannot make a plugin name from 'two words'"):
        plugin_name("two words")


def test_source_checkout_finds_the_template() -> None:
    assert template_dir() in (TEMPLATE, REPO / "dop_core" / "templates" / "plugin_template")


def test_dop_new_plugin_command(tmp_path: pathlib.Path) -> None:
    made = run_dop("new-plugin", "dop-sftp-push", "--output-dir", str(tmp_path), "--no-input")
    assert made.returncode == 0, made.stderr
    assert "Created the DOP plugin dop-sftp-push" in made.stdout
    assert (tmp_path / "dop-sftp-push" / "dop_sftp_push" / "plugin.py").is_file()
    again = run_dop("new-plugin", "sftp-push", "--output-dir", str(tmp_path), "--no-input")
    assert again.returncode == 1
    assert f"{tmp_path / 'dop-sftp-push'} already exists" in again.stderr
    bad = run_dop("new-plugin", "Not OK", "--output-dir", str(tmp_path), "--no-input")
    assert bad.returncode == 1 and "cannot make a plugin name from 'Not OK'" in bad.stderr


def test_create_plugin_with_extra_answers(tmp_path: pathlib.Path) -> None:
    out = create_plugin(
        "audit", tmp_path, no_input=True, extra={"author_name": "Data Team", "version": "1.2.0"}
    )
    meta = tomllib.loads((out / "pyproject.toml").read_text())
    assert meta["project"]["authors"] == [{"name": "Data Team"}]
    assert meta["project"]["version"] == "1.2.0"


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found is None:
        missing_server("uv (on PATH), which builds the fresh environment",
                       "run .ci/test-servers uv (it runs pip install uv)")
    return [found]


def _run(cmd: list[str | os.PathLike[str]], **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in clean_env().items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    result = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=900, check=False, env=env, **kwargs
    )  # type: ignore[call-overload]
    assert result.returncode == 0, f"{cmd}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_new_plugin_from_the_wheel_installs_beside_dop_core_and_passes_its_tests(
    tmp_path: pathlib.Path,
) -> None:
    uv = _uv()
    # 1. dop-core as users get it: a wheel, carrying the template as package data
    _run([*uv, "build", "--wheel", "--out-dir", tmp_path / "dist", REPO])
    wheel = next((tmp_path / "dist").glob("dop_core-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        assert "dop_core/templates/plugin_template/cookiecutter.json" in zf.namelist()
    # 2. a fresh environment with that wheel; versions pinned to this environment's (served from uv's cache)
    frozen = _run([*uv, "pip", "freeze", "--python", sys.executable]).stdout.splitlines()
    pins = [line for line in frozen if "==" in line and not line.startswith(("-e", "dop-"))]
    (tmp_path / "constraints.txt").write_text("\n".join(pins) + "\n")
    env_dir = tmp_path / "fresh"
    _run([*uv, "venv", "-q", "--python", sys.executable, env_dir])
    python = env_dir / "bin" / "python"
    install = [*uv, "pip", "install", "-q", "--python", python, "-c", tmp_path / "constraints.txt"]
    _run([*install, wheel])
    # 3. `dop new-plugin` from the installed package (not from this checkout)
    work = tmp_path / "work"
    work.mkdir()
    _run([env_dir / "bin" / "dop", "new-plugin", "shop-audit", "--no-input"], cwd=work)
    plugin = work / "dop-shop-audit"
    assert _files(plugin) == [f.replace("dop_my_thing", "dop_shop_audit") for f in EXPECTED_FILES]
    where = _run([python, "-c", "import dop_core.cli.new_plugin as n; print(n.template_dir())"], cwd=work).stdout
    assert str(env_dir) in where
    # 4. pip install -e: `dop plugins` lists it
    _run([*install, "-e", f"{plugin}[test]"])
    listed = _run([env_dir / "bin" / "dop", "plugins"], cwd=work).stdout
    assert "shop_audit  (dop-shop-audit 0.1.0)" in listed
    assert "  task_types:shop_audit/message" in listed
    # 5. its generated tests pass as generated (including the real `dop run`)
    tests = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=plugin)
    assert "11 passed" in tests.stdout, tests.stdout


def test_a_rendered_plugin_imports_only_the_public_api(tmp_path: pathlib.Path) -> None:
    """The wall the lint env keeps for this repository's plugins (``[tool.importlinter]``), run by
    import-linter on a freshly rendered plugin."""
    from cookiecutter.main import cookiecutter

    out = pathlib.Path(cookiecutter(str(TEMPLATE), no_input=True, extra_context={"plugin_name": "my-thing"},
                                    output_dir=str(tmp_path / "rendered")))
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [wall] = [c for c in contracts if c["type"] == "forbidden" and "dop_hello" in c["source_modules"]]
    forbidden = "\n".join(f"    {m}" for m in wall["forbidden_modules"])
    (tmp_path / "setup.cfg").write_text(
        "[importlinter]\nroot_packages =\n    dop_my_thing\n    dop_core\n\n"
        "[importlinter:contract:public-api]\nname = the plugin imports only dop_core and dop_core.testing\n"
        f"type = forbidden\nsource_modules =\n    dop_my_thing\nforbidden_modules =\n{forbidden}\n"
        "allow_indirect_imports = true\n")
    lint_imports = pathlib.Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports), "--config", str(tmp_path / "setup.cfg"), "--no-cache"],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(out)}, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
