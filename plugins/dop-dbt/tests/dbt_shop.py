"""The shop service project the tests write: a native seed, the dbt project `shop`, the DAG `daily`."""

from __future__ import annotations

from typing import Any

DBT_PROJECT = {
    "dbt/shop/dbt_project.yml": """\
        name: shop
        profile: shop_profile
        version: "1.0"
        config-version: 2
        models:
          shop:
            +materialized: table
        """,
    "dbt/shop/models/schema.yml": """\
        version: 2
        sources:
          - name: raw
            schema: shop
            tables:
              - name: orders
        models:
          - name: stg_orders
            columns:
              - name: order_id
                data_tests: [not_null, unique]
          - name: daily_revenue
            columns:
              - name: order_date
                data_tests: [unique]
        """,
    "dbt/shop/models/stg_orders.sql": "select order_id, order_date, amount from {{ source('raw', 'orders') }}\n",
    "dbt/shop/models/daily_revenue.sql": (
        "select order_date, sum(amount) as revenue, '{{ var(\"ds\") }}' as loaded_for\n"
        "from {{ ref('stg_orders') }} group by 1\n"),
}

ORDERS_CSV = "order_id,order_date,amount\n1,2024-06-01,10.5\n2,2024-06-01,4.5\n3,2024-06-02,7\n"

#: the start of the shop's DAGs: its schema, then the native seed the dbt models read
SEEDED = """\
schema: shop
tasks:
  - identifier: shop_schema
    kind: {action: materialization, target: schema}
  - identifier: orders
    kind: {action: materialization, target: seed}
    dependencies: [shop_schema]
"""

DAILY = SEEDED + """\
  - identifier: dbt_run
    kind: {action: dbt, target: run}
    dependencies: [orders]
    options:
      project: shop
      arguments:
        - {option: --fail-fast}
  - identifier: dbt_test
    kind: {action: dbt, target: test}
    dependencies: [dbt_run]
    options: {project: shop}
  - identifier: assert_revenue
    kind: {action: assertion, target: assertion}
    dependencies: [dbt_test]
"""

ASSERT_REVENUE = ("SELECT COUNT(*) = 2 AND SUM(revenue) = 22 AS success, "
                  "'daily_revenue has one row per day and all the revenue' AS description FROM shop.daily_revenue\n")


def write_shop(factory: Any, daily: str = DAILY, extra: dict[str, str] | None = None) -> Any:
    """The shop service project: a native seed, the dbt project `shop`, the DAG `daily`."""
    for path, text in {**DBT_PROJECT, **(extra or {})}.items():
        factory.write(path, text)
    factory.dag("daily", daily, sql={"assert_revenue": ASSERT_REVENUE}, files={"data/orders.csv": ORDERS_CSV})
    return factory
