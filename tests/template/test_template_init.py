"""``dop init`` and the cookiecutter template: the exact file set, the answers, the project's own tests."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import tempfile
import zipfile

import pytest
from template_support import REPO, dop

from dop_core.cli.init import create_project
from dop_core.testing import clean_env

COVID = "orchestration/example_covid19"
BASE_FILES = {
    ".github/workflows/ci.yml",
    ".gitignore",
    "README.md",
    "dags/dop_dags.py",
    "dop_project.yml",
    "requirements.txt",
    "tests/test_project.py",
    f"{COVID}/config.yaml",
    f"{COVID}/data/raw_covid19_cases.csv",
    f"{COVID}/sql/assert_daily_cases_valid.sql",
    f"{COVID}/sql/call_sp_refresh_country_totals.sql",
    f"{COVID}/sql/daily_cases.sql",
    f"{COVID}/sql/sp_refresh_country_totals.sql",
    f"{COVID}/sql/udf_empty_str_as_null.sql",
    f"{COVID}/sql/v_country_summary.sql",
    f"{COVID}/tests/daily_cases.yaml",
    ".vscode/settings.json",
}
DBT_FILES = {
    "orchestration/example_dbt/config.yaml",
    "dbt/covid19/dbt_project.yml",
    "dbt/covid19/models/schema.yml",
    "dbt/covid19/models/stg_vaccinations.sql",
    "dbt/covid19/models/vaccination_coverage.sql",
    "dbt/covid19/seeds/vaccinations.csv",
}


def files_of(root: pathlib.Path) -> set[str]:
    """The project's files (not DOP's local state under .dop/, such as the schemas `dop init` writes)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.parts[len(root.parts)] != ".dop"}


def test_renders_the_exact_file_set_without_dbt(new_project: pathlib.Path) -> None:
    assert files_of(new_project) == BASE_FILES


def test_renders_the_dbt_example_when_asked(tmp_path: pathlib.Path) -> None:
    result = dop("init", "with_dbt", "--no-input", "--dbt", "--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    root = tmp_path / "with_dbt"
    assert files_of(root) == BASE_FILES | DBT_FILES
    assert "dop-dbt" in (root / "requirements.txt").read_text().split()
    assert "dbt/*/target/" in (root / ".gitignore").read_text()


def test_leaves_nothing_in_the_temp_folder(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    created = create_project("tidy", tmp_path / "out", no_input=True, with_dbt=True)
    assert (created / "orchestration" / "example_dbt").is_dir()  # every hook ran
    assert list(scratch.iterdir()) == []


def test_project_file_names_the_project_and_its_targets(new_project: pathlib.Path) -> None:
    text = (new_project / "dop_project.yml").read_text()
    assert "name: my_project\n" in text
    assert "  local:\n    engine: duckdb\n    path: .dop/warehouse.duckdb\n" in text
    assert "  # prod:\n  #   engine: bigquery\n" in text  # commented out until the user fills it in
    assert ".dop/\n" in (new_project / ".gitignore").read_text()
    assert "{{" not in text and "cookiecutter" not in (new_project / "README.md").read_text()


def test_airflow_sql_templates_are_copied_unrendered(new_project: pathlib.Path) -> None:
    """cookiecutter must not eat the Jinja that Airflow renders at run time."""
    sql = (new_project / COVID / "sql" / "daily_cases.sql").read_text()
    assert "{% if is_incremental() %}" in sql and "{{ params.lookback_days | int }}" in sql
    assert "{{ ds }}" in (new_project / COVID / "config.yaml").read_text()


def test_the_example_splices_no_param_raw_into_sql_or_a_shell(new_project: pathlib.Path) -> None:
    import re

    import yaml

    folder = new_project / "orchestration" / "example_covid19"
    spliced = [expr for sql in (folder / "sql").glob("*.sql") for expr in re.findall(r"{{(.*?)}}", sql.read_text())]
    assert any("params.lookback_days" in expr for expr in spliced)
    assert all("| int" in expr for expr in spliced if "params." in expr), spliced
    config = yaml.safe_load((folder / "config.yaml").read_text())
    assert config["params"]["lookback_days"]["type"] == "integer"
    (announce,) = [t for t in config["tasks"] if t["identifier"] == "announce_done"]
    arguments = announce["options"]["arguments"]
    assert "{{" not in arguments["bash_command"] and "$LOOKBACK_DAYS" in arguments["bash_command"]
    assert arguments["env"]["LOOKBACK_DAYS"] == "{{ params.lookback_days }}"


def test_the_sql_tests_pass_and_ci_runs_them(new_project: pathlib.Path) -> None:
    result = dop("test", cwd=new_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  example_covid19.daily_cases: an incremental run replaces only the last lookback_days days" \
        in result.stdout
    assert "2 passed, 0 failed" in result.stdout
    assert "run: dop test\n" in (new_project / ".github/workflows/ci.yml").read_text()


def test_the_sql_tests_catch_a_changed_row(tmp_path: pathlib.Path) -> None:
    assert dop("init", "changed", "--no-input", "--no-dbt", "--output-dir", str(tmp_path)).returncode == 0
    tests = tmp_path / "changed" / COVID / "tests" / "daily_cases.yaml"
    tests.write_text(tests.read_text().replace("new_confirmed: 40, confirmed_last_7_days: 75",
                                               "new_confirmed: 40, confirmed_last_7_days: 76"))
    result = dop("test", cwd=tmp_path / "changed")
    assert result.returncode == 1
    assert "FAIL  example_covid19.daily_cases: an incremental run" in result.stdout
    assert "    confirmed_last_7_days: expected 76, got 75" in result.stdout


def test_init_writes_the_schemas_the_editor_settings_name(new_project: pathlib.Path) -> None:
    """VS Code's YAML extension gets a schema for each of the project's YAML files, and they fit it."""
    import json

    import jsonschema
    import yaml

    settings = json.loads((new_project / ".vscode" / "settings.json").read_text())["yaml.schemas"]
    assert len(settings) == 3
    for schema_path, glob in settings.items():
        schema = json.loads((new_project / schema_path).read_text())
        files = sorted(new_project.glob(glob))
        assert files, f"{glob} matches no file"
        for path in files:
            data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))  # dates as an editor sees them
            jsonschema.Draft202012Validator(schema).validate(data)


def test_dag_file_is_the_two_lines(new_project: pathlib.Path) -> None:
    code = [line for line in (new_project / "dags/dop_dags.py").read_text().splitlines() if line.strip()]
    assert code[0] == "from dop_core import build_dags"
    assert code[1].startswith("globals().update(build_dags(__file__))")
    assert len(code) == 2


def test_the_project_validates(new_project: pathlib.Path) -> None:
    result = dop("validate", "--strict", cwd=new_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: 1 DAG(s) valid" in result.stdout


def test_generated_tests_pass(new_project: pathlib.Path, tmp_path: pathlib.Path) -> None:
    env = {k: v for k, v in clean_env().items() if not k.startswith("PYTEST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
        cwd=new_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "6 passed" in result.stdout, result.stdout[-2000:]


def test_generated_tests_catch_a_broken_config(tmp_path: pathlib.Path) -> None:
    """The project's tests are not decoration: break the example and they fail, naming the line."""
    assert dop("init", "broken", "--no-input", "--no-dbt", "--output-dir", str(tmp_path)).returncode == 0
    root = tmp_path / "broken"
    config = root / COVID / "config.yaml"
    config.write_text(config.read_text().replace("target: view}", "target: veiw}"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests",
            "-q",
            "-p",
            "no:cacheprovider",
            "-x",
            "-k",
            "valid_and_builds",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-3000:]
    assert "config.yaml:" in result.stdout and "unknown target 'veiw'" in result.stdout


def test_init_path_creates_the_project_in_that_folder(tmp_path: pathlib.Path) -> None:
    """`dop init PATH` makes PATH (parents too), named after its last part, as `git init` and `cargo new` do."""
    here = tmp_path / "elsewhere"
    here.mkdir()
    result = dop("init", str(tmp_path / "a" / "b"), "--no-input", cwd=here)
    assert result.returncode == 0, result.stderr
    assert "name: b\n" in (tmp_path / "a" / "b" / "dop_project.yml").read_text()
    assert list(here.iterdir()) == []  # nothing made where the command ran
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]  # and no scratch folder left beside it
    relative = dop("init", "x/y", "--no-input", "--output-dir", str(tmp_path))
    assert relative.returncode == 0, relative.stderr
    assert "name: y\n" in (tmp_path / "x" / "y" / "dop_project.yml").read_text()


def test_an_existing_empty_folder_becomes_the_project(tmp_path: pathlib.Path) -> None:
    (tmp_path / "ready").mkdir()
    result = dop("init", ".", "--no-input", "--no-dbt", cwd=tmp_path / "ready")
    assert result.returncode == 0, result.stderr
    assert files_of(tmp_path / "ready") == BASE_FILES
    assert "name: ready\n" in (tmp_path / "ready" / "dop_project.yml").read_text()


@pytest.mark.parametrize(("path", "suggestion"), [
    ("Sales Reporting", "`dop init sales_reporting`"),
    ("new/my-project", "`dop init new/my_project`"),
    ("1st_project", "`dop init project_1st_project`"),
    ("???", "e.g. `dop init my_project`"),
])
def test_a_path_whose_name_is_no_identifier_is_refused_with_one_that_is(tmp_path: pathlib.Path, path: str,
                                                                       suggestion: str) -> None:
    result = dop("init", path, "--no-input", "--output-dir", str(tmp_path))
    assert result.returncode == 1
    assert "cannot be a project name: use letters, digits and _ (not starting with a digit)" in result.stderr
    assert suggestion in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())  # not even the parent folder `new`


def test_a_name_too_long_for_a_folder_is_refused_clearly(tmp_path: pathlib.Path) -> None:
    result = dop("init", "a" * 300, "--no-input", "--output-dir", str(tmp_path))
    assert result.returncode == 1
    assert "is 300 characters long; use at most 128" in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_not_overwritten(new_project: pathlib.Path) -> None:
    result = dop("init", "my_project", "--no-input", "--output-dir", str(new_project.parent))
    assert result.returncode == 1
    assert f"{new_project} already exists and is not an empty folder" in result.stderr


def test_plain_cookiecutter_renders_the_same_project(
    tmp_path: pathlib.Path, new_project: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cookiecutter.main import cookiecutter

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))  # cookiecutter leaves its hooks there
    (tmp_path / "scratch").mkdir()

    out = cookiecutter(
        str(REPO / "service_project_template"),
        no_input=True,
        output_dir=str(tmp_path),
        extra_context={"project_name": "my_project", "with_dbt": "no"},
    )
    assert files_of(pathlib.Path(out)) == BASE_FILES
    for name in BASE_FILES:
        assert (pathlib.Path(out) / name).read_bytes() == (new_project / name).read_bytes(), name


def test_with_dbt_defaults_to_whether_dop_dbt_is_installed(tmp_path: pathlib.Path) -> None:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("dop-dbt")
        installed = True
    except PackageNotFoundError:
        installed = False
    assert dop("init", "default_dbt", "--no-input", "--output-dir", str(tmp_path)).returncode == 0
    assert (tmp_path / "default_dbt" / "dbt").is_dir() is installed


def test_the_wheel_carries_the_template(uv: str, tmp_path: pathlib.Path) -> None:
    """`dop init` works from an installed package: the wheel holds dop_core/service_project_template."""
    result = subprocess.run(
        [uv, "build", "--wheel", "--package", "dop-core", "-o", str(tmp_path), "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("dop_core-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = "dop_core/service_project_template/"
    assert f"{prefix}cookiecutter.json" in names
    assert f"{prefix}hooks/pre_prompt.py" in names
    assert {f"{prefix}{{{{cookiecutter.project_slug}}}}/{name}" for name in BASE_FILES | DBT_FILES} <= names
