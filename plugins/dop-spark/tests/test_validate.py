"""Validation of Spark tasks: every mistake is reported with its file, line and column."""

from __future__ import annotations

import pytest
from conftest import PROD_TARGETS, SHOP_CONFIG, SHOP_SCRIPT, SHOP_SQL, write_shop
from dop_spark.options import _packages
from dop_spark.settings import _bucket, _gcs_uri

from dop_core import validate_project

pytestmark = pytest.mark.usefixtures("spark_plugin")


def _problems(root) -> list[str]:
    return [str(p) for p in validate_project(root).problems]


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_shop_dag_is_valid(dop_project):
    write_shop(dop_project, PROD_TARGETS)
    assert _problems(dop_project.root) == []


def test_a_pyspark_task_needs_its_script(dop_project):
    folder = write_shop(dop_project)
    (folder / "spark" / "customer_tiers.py").unlink()
    config = folder / "config.yaml"
    line = _line_of(config, "identifier: customer_tiers")
    (problem,) = _problems(dop_project.root)
    assert problem.startswith(
        f"{config}:{line}:17: error: task 'customer_tiers' (spark/pyspark) needs the PySpark "
        "script spark/customer_tiers.py, which does not exist"
    )
    assert "fix: create shop/spark/customer_tiers.py" in problem


def test_a_spark_sql_task_needs_its_sql_file(dop_project):
    folder = write_shop(dop_project)
    (folder / "sql" / "customer_totals.sql").unlink()
    (problem,) = _problems(dop_project.root)
    assert "needs the SQL file sql/customer_totals.sql, which does not exist" in problem
    assert problem.startswith(f"{folder / 'config.yaml'}:{_line_of(folder / 'config.yaml', 'customer_totals')}:")


def test_a_script_that_does_not_parse_is_reported_at_its_line(dop_project):
    folder = write_shop(dop_project)
    script = folder / "spark" / "customer_tiers.py"
    script.write_text("def transform(spark, inputs, context):\n    return (\n")
    (problem,) = _problems(dop_project.root)
    assert problem.startswith(f"{script}:2:")
    assert "the script does not parse" in problem


def test_a_script_without_transform_or_with_too_few_parameters(dop_project):
    folder = write_shop(dop_project)
    script = folder / "spark" / "customer_tiers.py"
    script.write_text(SHOP_SCRIPT.replace("def transform(", "def transform_it("))
    (problem,) = _problems(dop_project.root)
    assert problem.startswith(f"{script}:1:1: error: the script defines no top-level function transform")
    script.write_text("import os\n\n\ndef transform(spark, inputs):\n    return None\n")
    (problem,) = _problems(dop_project.root)
    assert problem.startswith(
        f"{script}:4:1: error: transform takes 2 positional argument(s); DOP calls transform(spark, inputs, context)"
    )


def test_table_names_are_checked_where_they_are_written(dop_project):
    folder = write_shop(dop_project)
    config = folder / "config.yaml"
    text = config.read_text()
    text = text.replace("inputs: [shop.customer_totals]", "inputs: [customer_totals, shop.bad-name]")
    text = text.replace("output: shop.tiered_customers", "output: shop.tiered.customers.x")
    config.write_text(text)
    problems = _problems(dop_project.root)
    line = _line_of(config, "inputs: [customer_totals")
    assert any(
        p.startswith(f"{config}:{line}:16: error: 'customer_totals' is not a table name: write schema.table")
        for p in problems
    ), problems
    assert any(
        p.startswith(f"{config}:{line}:33: error:") and "'bad-name' is not a valid table name" in p for p in problems
    ), problems
    line = _line_of(config, "output: shop.tiered.customers.x")
    assert any(
        p.startswith(f"{config}:{line}:15: error: 'shop.tiered.customers.x' is not a table name") for p in problems
    ), problems


def test_options_are_typed(dop_project):
    folder = write_shop(dop_project)
    config = folder / "config.yaml"
    text = config.read_text().replace(
        "conf: {spark.sql.shuffle.partitions: 2}",
        "conf: {spark.sql.shuffle.partitions: [2]}\n      pakages: [x]\n      py_files: [lib/missing.py, helpers.txt]",
    )
    config.write_text(text)
    problems = _problems(dop_project.root)
    assert any(
        f"{config}:{_line_of(config, 'pakages')}:7: error: unknown key 'pakages'" in p
        and "did you mean 'packages'?" in p
        for p in problems
    ), problems
    assert any(
        f"{config}:{_line_of(config, 'conf: {')}:13: error: the value of 'spark.sql.shuffle.partitions' must be" in p
        for p in problems
    ), problems


def test_py_files_must_exist(dop_project):
    folder = write_shop(dop_project)
    config = folder / "config.yaml"
    config.write_text(
        config.read_text().replace(
            "output: shop.tiered_customers",
            "output: shop.tiered_customers\n      py_files: [lib/x.py, notes.txt]",
        )
    )
    problems = _problems(dop_project.root)
    line = _line_of(config, "py_files")
    assert any(p.startswith(f"{config}:{line}:18: error: lib/x.py does not exist in shop/") for p in problems), problems
    assert any(
        p.startswith(f"{config}:{line}:28: error: 'notes.txt' is not a .py, .zip or .egg file") for p in problems
    ), problems


def test_scripts_and_py_files_stay_inside_the_project(dop_project, tmp_path):
    folder = write_shop(dop_project)
    outside = tmp_path / "elsewhere.py"
    outside.write_text("SECRET = 'DOP-TEST-SECRET'\n")
    config = folder / "config.yaml"
    config.write_text(
        config.read_text().replace(
            "output: shop.tiered_customers",
            "output: shop.tiered_customers\n      py_files: [../../../elsewhere.py]",
        )
    )
    script = folder / "spark" / "customer_tiers.py"
    script.unlink()
    script.symlink_to(outside)
    problems = _problems(dop_project.root)
    line = _line_of(config, "py_files")
    assert any(
        p.startswith(f"{config}:{line}:18: error: py_files entry ../../../elsewhere.py resolves to {outside}, "
                     "outside the project folder")
        for p in problems
    ), problems
    assert any(f"PySpark script {script} is a symbolic link to {outside}" in p for p in problems), problems
    assert "DOP-TEST-SECRET" not in "\n".join(problems)


def test_a_task_without_schema_or_output(dop_project):
    folder = write_shop(dop_project)
    config = folder / "config.yaml"
    config.write_text(
        config.read_text()
        .replace("schema: shop\n", "")
        .replace(
            "  - identifier: create_shop\n    kind: {action: materialization, target: schema}\n",
            "  - identifier: create_shop\n    kind: {action: materialization, target: schema}\n    schema: shop\n",
        )
    )
    problems = _problems(dop_project.root)
    line = _line_of(config, "identifier: customer_totals")
    assert any(
        p.startswith(
            f"{config}:{line}:17: error: task 'customer_totals' writes its result to the warehouse "
            "but has neither options.output nor a schema"
        )
        for p in problems
    ), problems


def test_an_input_written_by_a_task_that_does_not_run_first_is_a_warning(dop_project):
    folder = write_shop(dop_project)
    config = folder / "config.yaml"
    config.write_text(config.read_text().replace("    dependencies: [customer_totals]\n", ""))
    (problem,) = validate_project(dop_project.root).problems
    assert problem.severity == "warning"
    assert str(problem).startswith(
        f"{config}:{_line_of(config, 'inputs: [shop.customer_totals]')}:16: warning: "
        "input shop.customer_totals is written by task 'customer_totals', which does not "
        "run before this task"
    )


def test_a_bigquery_target_needs_dataproc_settings(dop_project):
    write_shop(dop_project, "name: p\ntargets:\n  local: {engine: duckdb}\n  prod: {engine: bigquery, project: x}\n")
    (problem,) = _problems(dop_project.root)
    path = dop_project.root / "dop_project.yml"
    assert problem.startswith(
        f"{path}:4:9: error: Spark tasks on the BigQuery target 'prod' run on Dataproc, which "
        "needs region and staging_bucket"
    )
    assert (
        "plugins: {spark: {targets: {prod: {region: europe-west2, staging_bucket: gs://my-bucket/dop-spark}}}}"
        in problem
    )


def test_a_settings_mistake_is_reported_once_per_project_not_once_per_dag(dop_project):
    write_shop(dop_project, "name: p\ntargets:\n  local: {engine: duckdb}\n  prod: {engine: bigquery, project: x}\n")
    dop_project.dag("shop_copy", SHOP_CONFIG, sql=SHOP_SQL, files={"spark/customer_tiers.py": SHOP_SCRIPT})
    problems = _problems(dop_project.root)
    assert [p.split(": error: ")[1].split(",")[0] for p in problems] == [
        "Spark tasks on the BigQuery target 'prod' run on Dataproc"
    ], problems


def test_a_target_s_block_merges_conf_packages_and_jars_over_the_project_s(dop_project):
    write_shop(
        dop_project,
        "name: p\ntargets:\n  local: {engine: duckdb}\nplugins:\n  spark:\n"
        "    conf: {spark.a: 1, spark.b: 2}\n    packages: [g:a:1]\n    master: local[1]\n"
        "    targets:\n      local: {conf: {spark.b: 3}, packages: [g:b:2], master: 'local[2]'}\n",
    )
    from dop_core import plugin_settings

    project = dop_project.project()
    merged = plugin_settings(project, project.targets["local"], "spark")
    assert (merged.conf, merged.packages, merged.master) == (
        {"spark.a": "1", "spark.b": "3"}, ["g:a:1", "g:b:2"], "local[2]")


def test_plugin_settings_are_checked_in_dop_project_yml(dop_project):
    write_shop(
        dop_project,
        PROD_TARGETS.replace("staging_bucket: gs://acme-dop/spark/", "staging_bucket: acme-dop").replace(
            "    targets:\n      prod:", "    targets:\n      prdo: {}\n      prod:"
        ),
    )
    problems = _problems(dop_project.root)
    path = dop_project.root / "dop_project.yml"
    assert any(
        p.startswith(
            f"{path}:{_line_of(path, 'prdo')}:7: error: plugins.spark.targets names 'prdo', which is not a target"
        )
        and "did you mean 'prod'?" in p
        for p in problems
    ), problems
    assert any(
        p.startswith(
            f"{path}:{_line_of(path, 'staging_bucket: acme-dop')}:25: error: 'acme-dop' is not a Cloud Storage location"
        )
        for p in problems
    ), problems


def test_cluster_mode_needs_a_cluster_and_indirect_writes_a_bucket(dop_project):
    write_shop(
        dop_project,
        PROD_TARGETS.replace("        cluster_name: etl-cluster\n", "").replace(
            "        temporary_gcs_bucket: acme-tmp\n", ""
        ),
    )
    path = dop_project.root / "dop_project.yml"
    line = _line_of(path, "      prod_cluster:")
    assert _problems(dop_project.root) == [
        f"{path}:{line + 1}:9: error: mode cluster on target 'prod_cluster' needs cluster_name\n"
        "    expected: the name of an existing Dataproc cluster\n"
        "    fix: add `cluster_name: ...` or use mode: serverless",
        f"{path}:{line + 1}:9: error: write_method indirect needs temporary_gcs_bucket\n"
        "    expected: a bucket for the Spark BigQuery connector's temporary files\n"
        "    fix: add `temporary_gcs_bucket: my-bucket` or use write_method: direct",
    ]


def test_two_inputs_spark_would_see_under_one_name(dop_project):
    folder = write_shop(dop_project)
    config = folder / "config.yaml"
    config.write_text(
        config.read_text().replace("inputs: [shop.orders]\n", "inputs: [shop.orders, p.shop.orders]\n", 1)
    )
    (problem,) = _problems(dop_project.root)
    line = _line_of(config, "inputs: [shop.orders, p.shop.orders]")
    assert problem.startswith(
        f"{config}:{line}:29: error: input 'p.shop.orders' is listed twice (Spark sees each input as schema.table)"
    )


@pytest.mark.parametrize(("parse", "value"), [
    (_gcs_uri, "gs://my-bucket/spark\n"), (_bucket, "my-bucket\n"), (_packages, ["org.example:extras_2.13:1.0\n"])])
def test_names_are_matched_whole_a_trailing_newline_is_refused(parse, value):
    with pytest.raises(ValueError, match="is not a"):
        parse(value)
    parse(value[0].rstrip("\n") if isinstance(value, list) else value.rstrip("\n"))


def _template_error(folder):
    (folder / "sql" / "customer_totals.sql").write_text("SELECT {{ params.nope }} AS n FROM shop.orders\n")
    return "sql/customer_totals.sql", 1, 18, "undefined name in the template: params.nope"


def _no_script(folder):
    (folder / "spark" / "customer_tiers.py").unlink()
    return "config.yaml", _line_of(folder / "config.yaml", "identifier: customer_tiers"), 17, (
        "task 'customer_tiers' (spark/pyspark) needs the PySpark script")


def _py_file_outside(folder):
    config = folder / "config.yaml"
    config.write_text(config.read_text().replace(
        "output: shop.tiered_customers", "output: shop.tiered_customers\n      py_files: [../../../elsewhere.py]"))
    return "config.yaml", _line_of(config, "py_files"), 18, "py_files entry ../../../elsewhere.py resolves to"


def _no_schema(folder):
    config = folder / "config.yaml"
    config.write_text(config.read_text().replace("schema: shop\n", "").replace(
        "target: schema}\n", "target: schema}\n    schema: shop\n", 1))
    return "config.yaml", _line_of(config, "identifier: customer_totals"), 17, (
        "task 'customer_totals' writes its result to the warehouse but has neither options.output nor a schema")


def _no_dataproc_settings(folder):
    yml = folder.parents[1] / "dop_project.yml"
    yml.write_text(PROD_TARGETS.split("plugins:")[0])
    return "../../dop_project.yml", _line_of(yml, "  prod:"), 9, "Spark tasks on the BigQuery target 'prod' run on"


@pytest.mark.parametrize("target", [None, "prod", "prod_cluster"])
@pytest.mark.parametrize(
    "mistake", [None, _template_error, _no_script, _py_file_outside, _no_schema, _no_dataproc_settings]
)
def test_dop_validate_finds_what_building_spark_tasks_would_without_building_them(dop_project, mistake, target):
    """Spark's validation covers its build (the target Spark runs on and Dataproc's settings, scripts and py_files
    inside the project, where the result goes): `dop validate` reports the same problems at the same places as
    when it builds the DAG, on local and Dataproc targets."""
    from dop_core.testing import check_both_ways

    folder = write_shop(dop_project, PROD_TARGETS)
    expected = mistake(folder) if mistake else None
    found = check_both_ways(dop_project.root, target)
    assert found.dags_built == []
    assert found.unbuilt == found.built
    if expected is None:
        assert found.unbuilt == []
        return
    path, line, column, text = expected
    where = (folder / path).resolve()
    assert any(p.startswith(f"{where}:{line}:{column}: error: {text}") for p in found.unbuilt), found.unbuilt


@pytest.mark.parametrize("target", [None, "prod"])
def test_a_cold_dop_validate_of_spark_tasks_imports_no_airflow(dop_project, target):
    from dop_core.testing import cold_check

    write_shop(dop_project, PROD_TARGETS)
    assert cold_check(dop_project.root, target) == ([], False)
