"""dop-egress as installed: its entry point, its validators, and light DAG parsing."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from dop_core.testing import run_dop

DAG = """\
schema: shop
tasks:
  - identifier: to_disk
    kind: {action: egress, target: file}
    options: {source: shop.orders, path: "exports/{{ ds }}/orders.parquet"}
  - identifier: to_bucket
    kind: {action: egress, target: gcs}
    options: {source: shop.orders, path: "gs://bucket/{{ ds }}/orders.csv", gcp_conn_id: gcp}
  - identifier: to_partner
    kind: {action: egress, target: sftp}
    options: {source: shop.orders, path: "/upload/orders.jsonl", conn_id: partner}
"""


def test_the_entry_point_registers_file_gcs_and_sftp(dop_project) -> None:
    done = run_dop("plugins", cwd=dop_project.root)
    assert done.returncode == 0, done.stderr
    block = done.stdout.split("egress  (dop-egress ")[1].split("\n\n")[0]
    assert [line.strip() for line in block.splitlines()[1:4]] == [
        "egress_types:file",
        "egress_types:gcs",
        "egress_types:sftp",
    ]


def test_parsing_the_dag_imports_no_client_library(dop_project) -> None:
    dop_project.dag("deliveries", DAG)
    code = textwrap.dedent(f"""
        import json, sys
        from dop_core import build_dags
        dags = build_dags({str(dop_project.root)!r})
        dag = dags["dop__deliveries"]
        heavy = [m for m in ("duckdb", "pyarrow", "google.cloud.storage", "paramiko", "dop_egress.gcs",
                             "dop_egress.sftp", "dop_egress.file") if m in sys.modules]
        print(json.dumps({{"tasks": sorted(dag.task_ids), "heavy": heavy}}))
    """)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"tasks": ["to_bucket", "to_disk", "to_partner"], "heavy": []}


@pytest.mark.parametrize(
    ("task", "options", "message"),
    [
        (
            "to_bucket",
            '{source: shop.orders, path: "bucket/orders.csv"}',
            "'bucket/orders.csv' is not a gs:// object URL",
        ),
        (
            "to_bucket",
            '{source: shop.orders, path: "gs://bucket"}',
            "'gs://bucket' is not a gs:// object URL",
        ),
        (
            "to_partner",
            '{source: shop.orders, path: "sftp://host/x.csv"}',
            "is a URL; the sftp destination takes a remote path",
        ),
        (
            "to_partner",
            "{source: shop.orders, path: x.csv, port: 22}",
            "unknown key 'port' for an egress to 'sftp'",
        ),
        (
            "to_disk",
            "{source: shop.orders, path: x.csv, conn_id: x}",
            "unknown key 'conn_id' for an egress to 'file'",
        ),
        (
            "to_disk",
            "{source: shop.orders, path: ../../outside/orders.csv}",
            "egress path ../../outside/orders.csv resolves to",
        ),
    ],
)
def test_destination_options_are_checked_at_their_line(
    dop_project, task: str, options: str, message: str
) -> None:
    from dop_core import validate_project

    lines = DAG.splitlines()
    index = next(i for i, line in enumerate(lines) if f"identifier: {task}" in line) + 2
    lines[index] = f"    options: {options}"
    dop_project.dag("deliveries", "\n".join(lines) + "\n")
    text = "\n".join(str(p) for p in validate_project(dop_project.root).problems)
    assert message in text, text
    assert f"config.yaml:{index + 1}:" in text.split(message)[0].splitlines()[-1], text


def test_registering_dop_egress_imports_only_its_plugin_module() -> None:
    """Every parse of the DAG files imports the plugin: the destinations' options load when validated."""
    from dop_core.testing import registration_imports

    assert registration_imports("dop_egress.plugin") == ["dop_egress", "dop_egress.plugin"]


CHECKED_DAG = DAG + """\
  - identifier: totals
    kind: {action: egress, target: file}
    options: {path: "exports/{{ ds }}/totals.csv.gz", delimiter: ";", storage_options: {anon: true}}
"""


@pytest.mark.parametrize(
    ("change", "sql", "expected"),
    [
        ((), "SELECT 1 AS n\n", []),
        ((), "SELECT {{ params.nope }} AS n\n", ["sql/totals.sql:1:18: error: undefined name in the template: params.nope"]),
        (("totals.csv.gz", "totals.csv.snappy"), "SELECT 1 AS n\n",
         ["config.yaml:14:21: error: cannot tell the file format from the path"]),
        (('delimiter: ";"', "compression: snappy"), "SELECT 1 AS n\n",
         ["config.yaml:14:68: error: snappy compression is for parquet files, not csv"]),
        (("path: \"exports/{{ ds }}/totals", "source: shop.orders, path: \"exports/{{ ds }}/totals"), "SELECT 1\n",
         ["config.yaml:14:23: error: egress task 'totals' has both options.source and sql/totals.sql"]),
        (("conn_id: partner", "conn_id: partner, port: 22"), "SELECT 1 AS n\n",
         ["config.yaml:11:84: error: unknown key 'port' for an egress to 'sftp'"]),
    ],
)
def test_dop_validate_finds_what_building_egress_tasks_would_without_building_them(
    dop_project, change: tuple[str, ...], sql: str, expected: list[str]
) -> None:
    """The egress kind's validation covers its build (the destination's options, the file format, a source table
    or the SQL file): `dop validate` reports the same problems at the same places as when it builds the DAG."""
    from dop_core.testing import check_both_ways

    folder = dop_project.dag("deliveries", CHECKED_DAG.replace(*change) if change else CHECKED_DAG,
                             sql={"totals": sql})
    found = check_both_ways(dop_project.root)
    assert found.dags_built == []
    assert found.unbuilt == found.built
    assert len(found.unbuilt) == len(expected), found.unbuilt
    assert all(p.startswith(f"{folder}/{e}") for p, e in zip(found.unbuilt, expected, strict=True)), found.unbuilt


def test_a_cold_dop_validate_of_egress_tasks_imports_no_airflow(dop_project) -> None:
    from dop_core.testing import cold_check

    dop_project.dag("deliveries", CHECKED_DAG, sql={"totals": "SELECT 1 AS n\n"})
    assert cold_check(dop_project.root) == ([], False)


ATTEMPTS = "a whole number from 1 to 100"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "0 is less than 1"),
        ("-1", "-1 is less than 1"),
        ("1000000", "1000000 is more than 100"),
        ("true", "true is not a whole number"),
        ("2.5", "2.5 is not a whole number"),
    ],
)
def test_connect_attempts_out_of_bounds_is_an_error_at_its_value(dop_project, value: str, message: str) -> None:
    from dop_core import validate_project

    lines = DAG.splitlines()
    lines[-1] = lines[-1].replace("conn_id: partner}", f"conn_id: partner, connect_attempts: {value}}}")
    path = dop_project.dag("deliveries", "\n".join(lines) + "\n") / "config.yaml"
    (error,) = [str(p) for p in validate_project(dop_project.root).problems]
    column = lines[-1].index(f"connect_attempts: {value}") + len("connect_attempts: ") + 1
    assert error.startswith(f"{path}:{len(lines)}:{column}: error: {message}"), error
    assert f"    expected: {ATTEMPTS}" in error and "    fix: write 1 to try once" in error, error


def test_connect_attempts_on_the_edges_pass(dop_project) -> None:
    from dop_core import validate_project

    for value in (1, 100):
        config = DAG.replace("conn_id: partner}", f"conn_id: partner, connect_attempts: {value}}}")
        dop_project.dag("deliveries", config)
        assert validate_project(dop_project.root).problems == []
