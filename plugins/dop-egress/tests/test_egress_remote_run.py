"""End to end through `dop run`: one DAG exports to the GCS emulator and to the OpenSSH server."""

from __future__ import annotations

import io
import textwrap

import pytest
from conftest import free_port


@pytest.mark.slow
def test_dop_run_exports_to_gcs_and_sftp_and_a_refused_server_fails_its_task(dop_project, gcs, sshd) -> None:
    from dop_core.testing import run_dop

    remote = sshd.root / "run"
    closed = free_port()
    dop_project.dag(
        "deliveries",
        textwrap.dedent(f"""\
        schema: shop
        tasks:
          - identifier: shop
            kind: {{action: materialization, target: schema}}
          - identifier: orders
            kind: {{action: materialization, target: table}}
            dependencies: [shop]
          - identifier: to_bucket
            kind: {{action: egress, target: gcs}}
            dependencies: [orders]
            options:
              source: shop.orders
              path: gs://{gcs.bucket}/exports/{{{{ ds }}}}/orders.parquet
          - identifier: to_partner
            kind: {{action: egress, target: sftp}}
            dependencies: [orders]
            options:
              source: shop.orders
              path: {remote}/orders_{{{{ ds_nodash }}}}.csv
              conn_id: partner_sftp
              success_marker: true
          - identifier: to_nowhere
            kind: {{action: egress, target: sftp}}
            dependencies: [orders]
            options:
              source: shop.orders
              path: /upload/orders.csv
              conn_id: closed_sftp
              connect_attempts: 1
        """),
        sql={
            "orders": "SELECT id, CAST(id * 1.5 AS FLOAT64) AS amount "
            "FROM UNNEST(GENERATE_ARRAY(1, 250)) AS id"
        },
    )
    env = {
        "STORAGE_EMULATOR_HOST": gcs.host,
        "AIRFLOW_CONN_PARTNER_SFTP": sshd.connection(),
        "AIRFLOW_CONN_CLOSED_SFTP": sshd.connection(closed),
    }
    done = run_dop("run", "deliveries", "--date", "2024-03-01", cwd=dop_project.root, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    # the final table: "  task  state" (progress lines "  [n/N] -> task" and reasons have more words)
    states = dict(
        words for line in done.stdout.splitlines() if line.startswith("  ") and len(words := line.split()) == 2
    )
    assert states == {
        "shop": "success",
        "orders": "success",
        "to_bucket": "success",
        "to_partner": "success",
        "to_nowhere": "failed",
    }
    assert (
        f"cannot connect to the SFTP server 127.0.0.1:{closed} (Airflow connection 'closed_sftp'"
        in done.stderr
    )

    expected = [(i, i * 1.5) for i in range(1, 251)]
    import pyarrow.parquet as pq

    objects = gcs.objects()
    assert sorted(objects) == ["exports/2024-03-01/orders.parquet"]  # and no temporary object
    table = pq.read_table(io.BytesIO(objects["exports/2024-03-01/orders.parquet"]))
    assert sorted((r["id"], r["amount"]) for r in table.to_pylist()) == expected

    assert sorted(p.name for p in remote.iterdir()) == ["_SUCCESS", "orders_20240301.csv"]
    lines = (remote / "orders_20240301.csv").read_text().splitlines()
    assert lines[0] == "id,amount"
    assert sorted((int(a), float(b)) for a, b in (line.split(",") for line in lines[1:])) == expected

    log = next((dop_project.root / ".dop/logs/runs/dop__deliveries").glob("2024-03-01*.log")).read_text()
    assert "exported 250 rows (" in log
    assert f"as parquet to gs://{gcs.bucket}/exports/2024-03-01/orders.parquet" in log
    assert f"as csv to sftp://root@127.0.0.1:{sshd.port}{remote}/orders_20240301.csv" in log
