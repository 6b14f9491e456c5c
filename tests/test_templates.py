"""SQL templates: `dop validate` renders and parses them, and every template mistake is an error at
its line of the SQL file in `dop validate`, `dop compile` and `dop run` (never a traceback).
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from dop_core.cli.main import main

CONFIG = """\
schema: shop
tasks:
  - identifier: create_shop
    kind: {action: materialization, target: schema}
  - identifier: orders
    kind: {action: materialization, target: table}
    dependencies: [create_shop]
  - identifier: check_orders
    kind: {action: assertion, target: assertion}
    dependencies: [orders]
"""
GOOD_CHECK = "SELECT COUNT(*) > 0 AS success, 'orders has rows' AS description FROM shop.orders\n"


def dop(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def shop(dop_project, dop_plugin_manager):
    """A project whose `orders` SQL each test writes."""

    def write(orders_sql: str | bytes, check_sql: str = GOOD_CHECK):
        dop_project.dag("shop", CONFIG, {"check_orders": check_sql})
        path = dop_project.root / "orchestration" / "shop" / "sql" / "orders.sql"
        if isinstance(orders_sql, bytes):
            path.write_bytes(orders_sql)
        else:
            path.write_text(orders_sql, encoding="utf-8")
        return dop_project.root, path

    return write


# (SQL of `orders`, line:column of the error, what the error says)
TEMPLATE_MISTAKES = {
    "undefined name": ("SELECT 1 AS a,\n  '{{ ds }}' AS d,\n  {{ nope }} AS b\n", "3:6",
                       "undefined name in the template: 'nope' is undefined"),
    "undefined param": ("SELECT\n  {{ params.missing_key }} AS b\n", "2:13",
                        "params.missing_key (params has no 'missing_key')"),
    "misspelt name": ("SELECT '{{ ds_nodsh }}' AS d\n", "1:12", "did you mean 'ds_nodash'?"),
    "jinja syntax": ("SELECT 1 AS a\n{% if is_incremental() %}\nWHERE x = {{ 1 + }}\n{% endif %}\n", "3:11",
                     "Jinja syntax error: unexpected"),
    "unclosed block": ("SELECT 1 AS a\n{% for i in range(3) %}\n", "2:1", "Jinja syntax error"),
    "sandbox": ("SELECT 1 AS a,\n  '{{ ''.__class__.__mro__ }}' AS b\n", "2:4", "the template sandbox refuses this"),
    "missing include": ("SELECT 1 AS a\n  {% include 'sql/common.sql' %}\n", "2:15",
                        "template 'sql/common.sql' not found"),
    "recursion": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}\nSELECT {{ f(1) }} AS a\n", "1:1",
                  "the template calls itself without end"),
    "not UTF-8": (b"SELECT 1 AS a,\n  'caf\xe9' AS b\n", "2:7", "is not UTF-8 text (byte 0xe9"),
    "huge repetition": ("SELECT '{{ 'x' * 10**10 }}' AS a\n", "1:9", "repeats a text or list into 10,000,000,000"),
}


@pytest.mark.parametrize("case", TEMPLATE_MISTAKES)
def test_template_mistakes_are_errors_at_their_line_in_validate_and_compile(case, shop):
    sql, where, text = TEMPLATE_MISTAKES[case]
    root, path = shop(sql)
    for args in (("validate",), ("compile", "shop")):
        code, out = dop(*args, "--project", str(root))
        assert code == 1, out
        assert f"{path}:{where}: error: " in out, out
        assert text in out, out
        assert "Traceback" not in out


def test_dop_run_reports_a_template_error_before_starting_airflow(shop):
    root, path = shop("SELECT 1 AS a,\n  {{ params.task.nope }} AS b\n")
    code, out = dop("run", "shop", "--date", "2024-06-01", "--project", str(root))
    assert code == 1
    assert f"{path}:2:18: error: undefined name in the template: params.task.nope (params.task has no 'nope')" in out
    assert not (root / ".dop" / "logs").exists()  # Airflow never started


def test_a_nested_loop_stops_at_the_render_time_limit(shop, monkeypatch):
    monkeypatch.setenv("DOP_RENDER_TIME_LIMIT", "1")
    root, path = shop("SELECT 1 AS a\n{% for i in range(100000) %}{% for j in range(100000) %}"
                      "{% endfor %}{% endfor %}\n")
    start = time.monotonic()
    code, out = dop("compile", "shop", "orders", "--project", str(root))
    assert time.monotonic() - start < 60
    assert code == 1
    assert f"{path}:2:1: error: rendering the template took longer than 1s" in out
    assert "the time limit is DOP_RENDER_TIME_LIMIT" in out


def test_a_sql_syntax_error_is_reported_where_it_is_written(shop):
    # the {% if %} block renders to fewer lines than it is written on: the error is still placed right
    root, path = shop("SELECT order_id,\n{% if is_incremental() %}\n  -- only new orders\n{% endif %}\n"
                      "  amount\nFROM shop.raw_orders\nWHERE (amount > 0\n")
    code, out = dop("validate", "--project", str(root))
    assert code == 1
    assert f"{path}:7:17: error: the SQL does not parse as bigquery: Expecting ) (at '0')" in out
    assert "\x1b" not in out  # no terminal escape codes
    code, out = dop("compile", "shop", "orders", "--project", str(root))
    assert code == 1 and f"{path}:7:17: error:" in out


def test_an_unclosed_quote_is_reported_at_the_quote(shop):
    root, path = shop("SELECT 1 AS a,\n  'it is open AS b\nFROM shop.raw_orders\n")
    code, out = dop("validate", "--project", str(root))
    assert code == 1
    assert f"{path}:2:3: error: the SQL cannot be read as bigquery: ' starts a quoted text that never ends" in out


def test_a_class_repr_never_shows_in_a_parse_error(shop):
    root, path = shop("SELECT a FROM shop.raw_orders WHERE\n")
    code, out = dop("validate", "--project", str(root))
    assert code == 1
    assert f"{path}:1:31: error: the SQL does not parse as bigquery: Required keyword: 'this' missing for WHERE" in out
    assert "<class" not in out and "<Token" not in out


def test_an_empty_sql_file_is_a_warning_and_an_error_under_strict(shop):
    root, path = shop("SELECT 1 AS a\n", check_sql="")
    check = path.with_name("check_orders.sql")
    code, out = dop("validate", "--project", str(root))
    assert code == 0, out
    assert (f"{check}:1:1: warning: the SQL file of task 'check_orders' [assertion/assertion] is empty; "
            "running the task would fail") in out
    code, out = dop("validate", "--strict", "--project", str(root))
    assert code == 1


def test_validate_parses_every_render_of_a_template(shop):
    # the incremental render is fine, the full refresh's is not: both are checked
    root, path = shop("SELECT 1 AS a\n{% if not is_incremental() %}\nFROM FROM\n{% endif %}\n")
    code, out = dop("validate", "--project", str(root))
    assert code == 1
    assert f"{path}:3:6: error: the SQL does not parse as bigquery" in out


def test_values_known_only_in_a_run_render_as_their_names_outside_airflow(shop):
    root, _ = shop("SELECT '{{ var.value.region }}' AS r, '{{ var.json.get('x', 'dflt') }}' AS x,\n"
                   "  '{{ conn.warehouse.host }}' AS h, '{{ ti.xcom_pull(task_ids='a') }}' AS p,\n"
                   "  '{{ dag_run.conf.get('full_refresh', false) }}' AS f, '{{ try_number }}' AS n\n")
    code, out = dop("compile", "shop", "orders", "--date", "2024-06-01", "--project", str(root))
    assert code == 0, out
    assert ("SELECT 'var.value.region' AS r, 'dflt' AS x,\n  'conn.warehouse.host' AS h, 'ti.xcom_pull(...)' AS p,\n"
            "  'False' AS f, 'try_number' AS n") in out
    code, out = dop("validate", "--project", str(root))
    assert code == 0, out
