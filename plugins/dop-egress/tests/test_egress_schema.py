"""`dop schema` with dop-egress installed: each destination's keys beside the egress options, and no other."""

from __future__ import annotations

import json
import pathlib

import jsonschema
import yaml

from dop_core.testing import run_dop

DAG = """\
schema: shop
tasks:
  - identifier: to_bucket
    kind: {action: egress, target: gcs}
    options: {source: shop.orders, path: "gs://bucket/{{ ds }}/orders.csv", gcp_conn_id: gcp}
  - identifier: to_partner
    kind: {action: egress, target: sftp}
    options: {source: shop.orders, path: "/upload/orders.jsonl", conn_id: partner}
"""


def test_each_destination_takes_its_own_keys(tmp_path: pathlib.Path) -> None:
    result = run_dop("schema", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    schema = jsonschema.Draft202012Validator(json.loads((tmp_path / "config.schema.json").read_text()))
    assert list(schema.iter_errors(yaml.safe_load(DAG))) == []
    wrong = yaml.safe_load(DAG.replace("gcp_conn_id: gcp}", "conn_id: gcp}").replace("target: sftp", "target: ftp"))
    found = sorted(e.message for e in schema.iter_errors(wrong))
    assert "Additional properties are not allowed ('conn_id' was unexpected)" in found  # an sftp key on gcs
    assert any("'ftp' is not one of ['file', 'gcs', 'sftp']" in m for m in found), found
