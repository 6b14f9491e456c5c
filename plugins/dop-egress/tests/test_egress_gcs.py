"""The ``gcs`` destination against a GCS emulator on loopback, through google-cloud-storage itself."""

from __future__ import annotations

import io

import pytest
from dop_egress.gcs import export, split_url
from dop_egress.options import GcsOptions

from dop_core import DopError, FileFormat


def _parquet_rows(data: bytes) -> list[tuple[object, ...]]:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    return sorted(tuple(r.values()) for r in table.to_pylist())


def test_parquet_upload_holds_the_tables_rows_and_leaves_no_temporary_object(warehouse, gcs) -> None:
    url = f"gs://{gcs.bucket}/exports/2024-01-02/orders.parquet"
    result = export(warehouse.request(url, GcsOptions(), success_marker=True))
    assert result.rows == 1000
    assert result.where == url
    objects = gcs.objects()
    assert sorted(objects) == ["exports/2024-01-02/_SUCCESS", "exports/2024-01-02/orders.parquet"]
    data = objects["exports/2024-01-02/orders.parquet"]
    assert len(data) == result.bytes
    assert _parquet_rows(data) == warehouse.orders()
    assert objects["exports/2024-01-02/_SUCCESS"] == b""
    blob = gcs.client().bucket(gcs.bucket).get_blob("exports/2024-01-02/orders.parquet")
    assert (
        blob.content_type == "application/vnd.apache.parquet"
        or blob.content_type == "application/octet-stream"
    )


def test_a_large_csv_goes_through_a_resumable_upload(warehouse, gcs) -> None:
    """Files over 8 MiB use the resumable protocol; the object must arrive byte for byte."""
    sql = "SELECT i, repeat('egress', 6) AS pad, i * 2 AS twice FROM range(300000) t(i)"
    request = warehouse.request(f"gs://{gcs.bucket}/big/numbers.csv", GcsOptions(), fmt="csv", sql=sql)
    result = export(request)
    assert result.bytes > 8 * 1024 * 1024
    data = gcs.objects()["big/numbers.csv"]
    assert len(data) == result.bytes
    lines = data.decode().splitlines()
    assert lines[0] == "i,pad,twice" and len(lines) == 300001
    assert lines[-1] == f"299999,{'egress' * 6},599998"


def test_overwrite_fail_and_skip_keep_the_existing_object(warehouse, gcs) -> None:
    url = f"gs://{gcs.bucket}/exports/orders.csv"
    gcs.client().bucket(gcs.bucket).blob("exports/orders.csv").upload_from_string(b"old")
    with pytest.raises(DopError, match=r"orders\.csv already exists and the task's overwrite policy is"):
        export(warehouse.request(url, GcsOptions(), fmt="csv", overwrite="fail"))
    assert export(warehouse.request(url, GcsOptions(), fmt="csv", overwrite="skip")).skipped
    assert gcs.objects() == {"exports/orders.csv": b"old"}
    export(warehouse.request(url, GcsOptions(), fmt="csv", format=FileFormat("csv", compression="gzip")))
    import gzip

    assert gzip.decompress(gcs.objects()["exports/orders.csv"]).decode().count("\n") == 1001


def test_a_missing_bucket_fails_and_publishes_nothing(warehouse, gcs) -> None:
    from google.api_core.exceptions import NotFound

    with pytest.raises(NotFound):
        export(warehouse.request("gs://no-such-bucket/x.parquet", GcsOptions()))
    assert gcs.objects() == {}


def test_split_url() -> None:
    assert split_url("gs://b/a/c.csv") == ("b", "a/c.csv")
    with pytest.raises(DopError, match="is not a gs:// URL"):
        split_url("s3://b/c")
    with pytest.raises(DopError, match="names no object"):
        split_url("gs://b/")
