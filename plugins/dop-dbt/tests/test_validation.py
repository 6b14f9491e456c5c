"""Mistakes in dbt tasks are reported with file:line:column, what was expected and a fix."""

from __future__ import annotations

from typing import Any

import dop_dbt.plugin
import pytest

from dop_core.check import check_project


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


def test_a_version_the_requirement_cannot_meet_is_refused(shop: Any) -> None:
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
    problems = problems_of(shop)
    config = shop.root / "orchestration/other/config.yaml"
    old = one(problems, "dbt 0.19.1 cannot run here")
    assert old.startswith(f"{config}:7:")
    assert "dbt-core<1.12,>=1.10" in old and "plugins.dbt.requirement" in old
    assert one(problems, "is not a dbt version").startswith(f"{config}:17:")
    assert len(problems) == 2


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
    assert "dbt-core==1.10.5" in problem


def test_a_dbt_task_needs_a_schema(dop_project: Any) -> None:
    from dbt_shop import write_shop

    write_shop(dop_project, daily="""\
        tasks:
          - identifier: dbt_run
            kind: {action: dbt, target: run}
            options: {project: shop}
          - identifier: dbt_deps
            kind: {action: dbt, target: deps}
            options: {project: shop}
        """)
    problems = problems_of(dop_project)
    assert one(problems, "dbt task 'dbt_run' has no schema").startswith(
        f"{dop_project.root / 'orchestration/daily/config.yaml'}:2:")
    assert len(problems) == 1  # deps writes no model: it needs no schema


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


def test_expand_without_a_manifest_is_a_warning_and_other_targets_refuse_it(shop: Any) -> None:
    shop.dag("other", """\
        schema: shop
        tasks:
          - identifier: run_all
            kind: {action: dbt, target: run}
            options: {project: shop, expand: true}
          - identifier: test_all
            kind: {action: dbt, target: test}
            options: {project: shop, expand: true}
        """)
    report = check_project(shop.root)
    by_severity = {(p.severity, p.location.line) for p in report.problems}
    assert by_severity == {("warning", 5), ("error", 8)}
    warning = next(p for p in report.problems if p.severity == "warning")
    assert "python -m dop_dbt parse shop" in str(warning)
