"""Mistakes in dbt tasks are reported with file:line:column, what was expected and a fix."""

from __future__ import annotations

from typing import Any

import dop_dbt.plugin
import pytest

from dop_core.testing import check_project, clean_env


@pytest.fixture(autouse=True)
def _dbt_plugin(register_plugin: Any) -> None:
    register_plugin(dop_dbt.plugin, name="dbt")


def problems_of(factory: Any) -> list[str]:
    report = check_project(factory.root)
    return [str(p) for p in report.problems]


def one(problems: list[str], needle: str) -> str:
    found = [p for p in problems if needle in p]
    assert len(found) == 1, f"expected one problem with {needle!r}, got:\n" + "\n".join(problems)
    return found[0]


def test_the_shop_project_is_valid(shop: Any) -> None:
    assert problems_of(shop) == []


def test_an_argument_outside_the_whitelist_is_refused_at_its_line(shop: Any) -> None:
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: run_it
            kind: {action: dbt, target: run}
            options:
              project: shop
              arguments:
                - {option: --select, value: stg_orders}
                - {option: --profiles-dir, value: /etc}
                - {option: --debug}
        """)
    problems = problems_of(shop)
    config = shop.root / "orchestration/other/config.yaml"
    profiles = one(problems, "'--profiles-dir' is not allowed")
    assert profiles.startswith(f"{config}:9:20: error:")
    assert "DOP sets it from the DOP target" in profiles
    assert "expected: one of -m, --models" in profiles and "--fail-fast" in profiles and "--vars" in profiles
    debug = one(problems, "'--debug' is not allowed")
    assert debug.startswith(f"{config}:10:20: error:")
    assert len(problems) == 2


def test_a_dbt_project_outside_the_project_is_refused(shop: Any, tmp_path: Any) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "dbt_project.yml").write_text("name: elsewhere\nprofile: elsewhere\n")
    (shop.root / "dbt" / "linked").symlink_to(elsewhere)
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: run_it
            kind: {action: dbt, target: run}
            options: {project: linked}
          - identifier: run_up
            kind: {action: dbt, target: run}
            options: {project: ../elsewhere}
        """)
    problems = problems_of(shop)
    config = shop.root / "orchestration/other/config.yaml"
    linked = one(problems, "is a symbolic link to")
    assert linked.startswith(f"{config}:5:24: error: dbt project {shop.root / 'dbt' / 'linked'} is a symbolic link")
    climbing = one(problems, "resolves to")
    assert climbing.startswith(f"{config}:8:24: error: dbt project ")
    assert f"resolves to {elsewhere}, outside the project folder" in climbing


def test_flags_values_threads_and_vars_are_checked(shop: Any) -> None:
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: run_it
            kind: {action: dbt, target: run}
            options:
              project: shop
              arguments:
                - {option: --select}
                - {option: -x, value: yes please}
                - {option: --threads, value: many}
                - {option: --vars, value: "[1, 2]"}
        """)
    problems = problems_of(shop)
    config = shop.root / "orchestration/other/config.yaml"
    assert one(problems, "'--select' needs a value").startswith(f"{config}:8:")
    assert one(problems, "'-x' is a flag").startswith(f"{config}:9:")
    assert one(problems, "--threads takes a number").startswith(f"{config}:10:")
    assert one(problems, "--vars is not a mapping").startswith(f"{config}:11:")


def test_an_unknown_dbt_project_lists_the_ones_that_exist(shop: Any) -> None:
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: run_it
            kind: {action: dbt, target: run}
            options: {project: shopp}
        """)
    problem = one(problems_of(shop), "no dbt project 'shopp'")
    assert problem.startswith(f"{shop.root / 'orchestration/other/config.yaml'}:5:24: error:")
    assert "fix: dbt projects found: shop" in problem


OWN_VENV = "name: shop_project\nplugins:\n  dbt:\n    venv: .dop/own-dbt-venv\n"  # not the tests' shared one


def test_a_version_the_requirement_cannot_meet_is_a_warning_naming_what_runs_instead(shop: Any) -> None:
    shop.write("dop_project.yml", OWN_VENV)
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: old
            kind: {action: dbt, target: run}
            options:
              project: shop
              version: 0.19.1
          - identifier: fine
            kind: {action: dbt, target: run}
            options:
              project: shop
              version: "1.11"
          - identifier: garbage
            kind: {action: dbt, target: run}
            options:
              project: shop
              version: one dot eleven
        """)
    report = check_project(shop.root)
    config = shop.root / "orchestration/other/config.yaml"
    old = [p for p in report.problems if "dbt 0.19.1 cannot run here" in p.message]
    assert [(p.severity, p.location.line) for p in old] == [("warning", 7)]
    assert "the newest dbt-core >=1.10,<1.12 runs instead" in old[0].message  # the virtualenv is not built yet
    assert old[0].fix is not None and old[0].fix.startswith("write `version: '>=1.10,<1.12'` or remove it")
    garbage = [str(p) for p in report.problems if p.severity == "error"]
    assert len(garbage) == 1 and garbage[0].startswith(f"{config}:17:") and "is not a dbt version" in garbage[0]
    # the fix line's spelling validates clean
    shop.dag("other", (config.read_text()).replace("version: 0.19.1", "version: '>=1.10,<1.12'")
             .replace("version: one dot eleven", "version: '1.10'"))
    assert problems_of(shop) == []


def test_the_version_that_runs_is_the_one_in_the_built_virtualenv(shop: Any) -> None:
    shop.write("dop_project.yml", OWN_VENV)
    (shop.root / ".dop/own-dbt-venv/lib/python3.11/site-packages/dbt_core-1.10.7.dist-info").mkdir(parents=True)
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: old
            kind: {action: dbt, target: run}
            options: {project: shop, version: 0.19.1}
        """)
    warning = one(problems_of(shop), "dbt 0.19.1 cannot run here")
    assert "dbt-core 1.10.7 runs instead" in warning and "fix: write `version: '1.10.7'`" in warning


def test_the_requirement_in_dop_project_yml_is_what_version_is_checked_against(dop_project: Any) -> None:
    from dbt_shop import write_shop

    dop_project.write("dop_project.yml", "name: shop_project\nplugins:\n  dbt:\n    requirement: dbt-core==1.10.5\n")
    write_shop(dop_project)
    dop_project.dag("other", """\
        schema: shop
        tasks:
          - identifier: pinned
            kind: {action: dbt, target: run}
            options: {project: shop, version: "1.11"}
        """)
    problem = one(problems_of(dop_project), "dbt 1.11 cannot run here")
    assert "warning:" in problem and "dbt-core==1.10.5" in problem and "fix: write `version: '==1.10.5'`" in problem


def test_the_original_bucket_arguments_are_the_docs_destination_of_docs_generate_only(shop: Any) -> None:
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: docs
            kind: {action: dbt, target: docs generate}
            options:
              project: shop
              arguments:
                - {option: --bucket, value: gs://not-a-name}
                - {option: --bucket-path, value: ../up}
          - identifier: run_it
            kind: {action: dbt, target: run}
            options:
              project: shop
              arguments: [{option: --bucket, value: my-bucket}]
          - identifier: path_only
            kind: {action: dbt, target: docs generate}
            options:
              project: shop
              arguments: [{option: --bucket-path, value: dbt}]
        """)
    problems = problems_of(shop)
    config = shop.root / "orchestration/other/config.yaml"
    lines = config.read_text().splitlines()

    def at(line: int, text: str) -> str:
        return f"{config}:{line}:{lines[line - 1].index(text) + 1}: error:"

    bucket = one(problems, "--bucket takes a bucket name, got 'gs://not-a-name'")
    assert bucket.startswith(at(8, "gs://")) and "plugins.dbt.docs_destination" in bucket
    assert one(problems, "--bucket-path is a folder in the bucket").startswith(at(9, "../up"))
    only_docs = one(problems, "--bucket is the original DOP's docs upload, which only `docs generate` does")
    assert only_docs.startswith(at(14, "--bucket")) and "docs_destination" in only_docs
    assert one(problems, "--bucket-path without --bucket").startswith(f"{config}:19:")
    assert len(problems) == 4
def test_bad_plugin_settings_point_into_dop_project_yml(dop_project: Any) -> None:
    from dbt_shop import write_shop

    write_shop(dop_project)
    path = dop_project.root / "dop_project.yml"
    dop_project.write("dop_project.yml", """\
        name: shop_project
        plugins:
          dbt:
            requirment: dbt-core
        """)
    problems = problems_of(dop_project)
    typo = one(problems, "unknown key 'requirment'")
    assert typo.startswith(f"{path}:4:5: error:") and "did you mean 'requirement'?" in typo
    assert len(problems) == 1  # reported once, though the project has two dbt tasks
    dop_project.write("dop_project.yml", """\
        name: shop_project
        targets:
          local: {engine: duckdb}
        plugins:
          dbt:
            requirement: dbt-core~=1.11.0
            targets:
              prod: {threads: 2}
        """)
    problem = one(problems_of(dop_project), "names 'prod', which is not a target")
    assert problem.startswith(f"{path}:8:7: error:") and "expected: one of local" in problem
    dop_project.write("dop_project.yml", "name: shop_project\nplugins:\n  dbt:\n    requirement: not a requirement!\n")
    assert one(problems_of(dop_project), "not a valid requirement").startswith(f"{path}:4:18: error:")


def test_kubernetes_mode_needs_an_image_and_the_provider(dop_project: Any) -> None:
    from dbt_shop import write_shop

    dop_project.write("dop_project.yml", """\
        name: shop_project
        targets:
          local: {engine: duckdb}
        plugins:
          dbt:
            targets:
              local: {mode: kubernetes}
        """)
    write_shop(dop_project)
    problems = problems_of(dop_project)
    assert one(problems, "names no image").startswith(f"{dop_project.root / 'dop_project.yml'}:7:")
    provider = one(problems, "apache-airflow-providers-cncf-kubernetes")
    assert "pip install 'dop-dbt[kubernetes]'" in provider


#: a DAG of one dbt run task with ``expand`` (one Airflow task per model, read from manifest.json)
EXPANDED_RUN = """\
        schema: shop
        tasks:
          - identifier: run_all
            kind: {action: dbt, target: run}
            options: {project: shop, expand: true}
"""


def test_expand_without_a_manifest_is_a_warning_and_other_targets_refuse_it(shop: Any) -> None:
    shop.dag("other", EXPANDED_RUN + """\
          - identifier: test_all
            kind: {action: dbt, target: test}
            options: {project: shop, expand: true}
        """)
    report = check_project(shop.root)
    by_severity = {(p.severity, p.location.line) for p in report.problems}
    assert by_severity == {("warning", 5), ("error", 8)}
    warning = next(p for p in report.problems if p.severity == "warning")
    assert "python -m dop_dbt parse shop" in str(warning)


CHECK = """\
import json, sys
from dop_core.testing import check_project
report = check_project(sys.argv[1])
print(json.dumps({"problems": [str(p) for p in report.problems], "airflow": "airflow" in sys.modules}))
"""


def check_in_a_new_process(root: Any, tmp_path: Any) -> dict[str, Any]:
    """What ``dop validate`` finds of the project at ``root``, in a new process with an empty user cache: the
    problems, and whether Airflow was imported."""
    import json
    import subprocess
    import sys

    env = {**clean_env(), "XDG_CACHE_HOME": str(tmp_path / "c")}
    out = subprocess.run([sys.executable, "-c", CHECK, str(root)], env=env, capture_output=True, text=True,
                         check=True, cwd=tmp_path)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_dop_validate_checks_dbt_tasks_without_building_them_unless_the_build_reads_a_manifest(
        shop: Any, tmp_path: Any) -> None:
    """A dbt task's validation finds what building it would, so `dop validate` checks the shop project (dbt
    tasks beside native ones) without importing Airflow; with ``expand``, building reads the dbt project's
    manifest.json, so the DAG is built: a manifest that does not read is reported."""
    assert check_in_a_new_process(shop.root, tmp_path) == {"problems": [], "airflow": False}

    shop.dag("other", EXPANDED_RUN)
    shop.write("dbt/shop/target/manifest.json", "{not json")
    found = check_in_a_new_process(shop.root, tmp_path)
    assert found["airflow"] is True
    config = shop.root / "orchestration/other/config.yaml"
    assert [p.split("\n")[0] for p in found["problems"]] == [
        f"{config}:5:14: error: task 'run_all' cannot be built: JSONDecodeError: Expecting property name enclosed "
        "in double quotes: line 1 column 2 (char 1)"], found


THREADS = "a whole number from 1 to 1024"
STARTUP = "a whole number of seconds from 1 to 86400 (1d)"


@pytest.mark.parametrize(("setting", "message", "expected", "fix"), [
    ("threads: 0", "0 is less than 1", THREADS, "write e.g. 4, or leave the key out for 4"),
    ("threads: -4", "-4 is less than 1", THREADS, "write e.g. 4"),
    ("threads: 100000", "100000 is more than 1024", THREADS, "write e.g. 4"),
    ("threads: '8'", "'8' is not a whole number", THREADS, "write e.g. 4"),
    ("startup_timeout: 0", "0 is less than 1", STARTUP, "write e.g. 600 (10 minutes), or leave the key out"),
    ("startup_timeout: -600", "-600 is less than 1", STARTUP, "write e.g. 600"),
    ("startup_timeout: 99999999999", "99999999999 is more than 86400", STARTUP, "write e.g. 600"),
    ("targets: {local: {threads: 0}}", "0 is less than 1", THREADS, "write e.g. 4"),
])
def test_a_count_or_timeout_out_of_bounds_is_an_error_at_its_value_in_dop_project_yml(
        dop_project: Any, setting: str, message: str, expected: str, fix: str) -> None:
    from dbt_shop import write_shop

    write_shop(dop_project)
    path = dop_project.write("dop_project.yml", f"name: shop_project\nplugins:\n  dbt:\n    {setting}\n")
    (error,) = problems_of(dop_project)  # once, though the project has two dbt tasks
    column = 5 + setting.rindex(": ") + 2
    assert error.startswith(f"{path}:4:{column}: error: {message}"), error
    assert f"    expected: {expected}" in error and fix in error, error


def test_counts_and_timeouts_on_the_edges_pass(dop_project: Any) -> None:
    from dbt_shop import write_shop

    write_shop(dop_project)
    for threads, startup in ((1, 1), (1024, 86400)):
        dop_project.write("dop_project.yml", f"name: shop_project\nplugins:\n  dbt:\n    threads: {threads}\n"
                          f"    startup_timeout: {startup}\n")
        assert problems_of(dop_project) == []
