"""SQL written for the original DOP (Airflow 1.10) renders unchanged: `params.params.*`, `params.task.*`,
`task['schema']`, `is_incremental()` and Airflow 1.10's dates, next to Airflow 3's names.

The DAG config is in the original's own format (the keys and kinds of its example service project).
"""

from __future__ import annotations

import pathlib

import pytest
from click.testing import CliRunner

from dop_core.cli.main import main
from dop_core.testing import ProjectFactory, run_dop

CONFIG = """\
enabled: true
schedule_interval: "0 4 * * *"
timezone: "Europe/London"
schema: legacy
params:
  country: GB
  value_a:
    - 1
    - 2
    - 3
tasks:
  - identifier: create_schema_legacy
    kind:
      action: materialization
      target: schema

  - identifier: daily_names
    kind:
      action: materialization
      target: table
    partitioning:
      field: date
      data_type: date
    dependencies:
      - create_schema_legacy

  - identifier: sp_record_day
    kind:
      action: materialization
      target: stored_procedure
    options:
      arguments:
        - name: execution_date
          type: DATE
    dependencies:
      - daily_names

  - identifier: invoke_sp_record_day
    kind:
      action: invocation
      target: stored_procedure
    dependencies:
      - sp_record_day

  - identifier: names_are_right
    kind:
      action: assertion
      target: assertion
    dependencies:
      - daily_names

  - identifier: echo_names
    kind:
      action: airflow_operator
      target: airflow.operators.bash_operator.BashOperator
    options:
      arguments:
        bash_command: "echo '{{ params.task.identifier }} {{ params.params.country }} {{ params.task.schema }}' > NAMES_FILE"
    dependencies:
      - names_are_right
"""

SQL = {
    "daily_names": """\
SELECT DATE('{{ ds }}') AS date,
       '{{ params.params.country }}' AS country,
       {{ params.params.value_a | length }} AS n_values,
       '{{ params.task.identifier }}' AS identifier,
       '{{ params.task.kind.action }}/{{ params.task.kind.target }}' AS kind,
       '{{ params.task.schema }}' AS task_schema,
       '{{ params.task.partitioning.field }}' AS partition_field,
       '{{ task['schema'] }}.{{ task.identifier }}' AS relation,
       '{{ execution_date.strftime('%Y-%m-%d') }}' AS execution_date,
       '{{ yesterday_ds }}/{{ tomorrow_ds_nodash }}' AS around,
       '{{ prev_ds }}/{{ next_ds }}' AS schedule_neighbours,
       {% if is_incremental() %}'incremental'{% else %}'full'{% endif %} AS run
""",
    "sp_record_day": """\
CREATE OR REPLACE TABLE legacy.recorded_day AS SELECT execution_date AS d
""",
    "invoke_sp_record_day": "call {{ task['schema'] }}.sp_record_day(DATE('{{ ds }}'));\n",
    "names_are_right": """\
SELECT country = '{{ params.params.country }}' AS success,
       'country of {{ task.schema }}.daily_names is {{ params.params.country }}' AS description
FROM {{ task['schema'] }}.daily_names
""",
}

EXPECTED_ROW = ("2024-03-01", "GB", 3, "daily_names", "materialization/table", "legacy", "date",
                "legacy.daily_names", "2024-03-01", "2024-02-29/20240302", "2024-02-29/2024-03-01")


def legacy_project(root: pathlib.Path) -> pathlib.Path:
    factory = ProjectFactory(root)
    factory.dag("legacy_names", CONFIG.replace("NAMES_FILE", str(root / "names.txt")), SQL)
    return root


def test_original_names_render_in_dop_compile(tmp_path, dop_plugin_manager):
    root = legacy_project(tmp_path / "project")
    result = CliRunner().invoke(main, ["compile", "legacy_names", "--date", "2024-03-01", "--project", str(root)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    for value in ("'GB' AS country", "3 AS n_values", "'daily_names' AS identifier",
                  "'materialization/table' AS kind", "'legacy' AS task_schema", "'date' AS partition_field",
                  "'legacy.daily_names' AS relation", "'2024-03-01' AS execution_date",
                  "'2024-02-29/20240302' AS around", "'2024-02-29/2024-03-01' AS schedule_neighbours"):
        assert value in out, value
    incremental, first = out.split("-- daily_names [materialization/table]")[1:]
    assert "'incremental' AS run" in incremental and "'full' AS run" in first
    assert "call legacy.sp_record_day(DATE('2024-03-01'));" in out
    assert "'country of legacy.daily_names is GB' AS description" in out
    validated = CliRunner().invoke(main, ["validate", "--project", str(root)], catch_exceptions=False)
    assert validated.exit_code == 0, validated.output  # it renders and parses every template


def test_a_dag_param_named_like_an_original_name_wins(tmp_path, dop_plugin_manager):
    root = tmp_path / "project"
    ProjectFactory(root).dag("own", CONFIG.replace("  country: GB\n", "  country: GB\n  task: mine\n"),
                             {**SQL, "daily_names": "SELECT '{{ params.task }}' AS t, '{{ task.schema }}' AS s\n"})
    result = CliRunner().invoke(main, ["compile", "own", "daily_names", "--project", str(root)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "SELECT 'mine' AS t, 'legacy' AS s" in result.output


def query(root: pathlib.Path, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(root / ".dop" / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.slow
def test_dop_run_of_a_dag_written_for_the_original(tmp_path):
    root = legacy_project(tmp_path / "project")
    result = run_dop("run", "legacy_names", "--date", "2024-03-01", "--full-refresh", cwd=root)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    row = query(root, "SELECT date::VARCHAR, country, n_values, identifier, kind, task_schema, partition_field, "
                      "relation, execution_date, around, schedule_neighbours FROM legacy.daily_names")
    assert row == [EXPECTED_ROW]
    assert query(root, "SELECT run FROM legacy.daily_names") == [("full",)]
    assert query(root, "SELECT d::VARCHAR FROM legacy.recorded_day") == [("2024-03-01",)]
    assert (root / "names.txt").read_text().strip() == "echo_names GB legacy"

    result = run_dop("run", "legacy_names", "--date", "2024-03-01", cwd=root)  # incremental
    assert result.returncode == 0, result.stdout + result.stderr
    assert query(root, "SELECT run FROM legacy.daily_names") == [("incremental",)]


@pytest.mark.slow
def test_a_template_error_at_run_time_is_located_not_a_traceback(tmp_path):
    # a Variable exists only in Airflow: the check before the run renders it as its name, the run fails
    root = tmp_path / "project"
    ProjectFactory(root).dag("needs_var", CONFIG, {**SQL, "daily_names": "SELECT 1 AS a,\n"
                                                   "  '{{ var.value.region_that_is_not_set }}' AS region\n"})
    result = run_dop("run", "needs_var", "--date", "2024-03-01", cwd=root)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    sql = root / "orchestration" / "needs_var" / "sql" / "daily_names.sql"
    assert f"{sql}:2:4: error: rendering the template failed" in out
    assert "region_that_is_not_set" in out
    assert "Traceback" not in out
