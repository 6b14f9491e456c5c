"""The core's ``egress`` task action, with a tiny third-party destination registered through the hook.

No egress plugin is needed: ``dop_plugin_manager`` loads only the built-ins, and the ``shelf``
destination below writes real files with the core's DuckDB writer.
"""

from __future__ import annotations

import pathlib
import textwrap
from typing import Any

import attrs
import pytest

from dop_core import EgressType, hookimpl
from dop_core.builtin.egress.options import EgressOptions, file_format
from dop_core.contract.egress import (
    ExportRequest,
    ExportResult,
    FileFormat,
    human_bytes,
    marker_path,
    task_token,
    temp_name,
    temp_prefix,
)
from dop_core.errors import ConfigError


@attrs.frozen
class ShelfOptions:
    shelf: str = attrs.field(metadata={"doc": "a folder under the project's shelves/"})
    copies: int = 1


class ShelfPlugin:
    """A third-party destination: writes the file under <project>/shelves/<shelf>/<path>."""

    def __init__(self) -> None:
        self.requests: list[ExportRequest] = []

    def export(self, request: ExportRequest) -> ExportResult:
        self.requests.append(request)
        dest = request.project_root / "shelves" / request.options.shelf / request.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        written = request.write_local(dest)
        return ExportResult(written.rows, written.bytes, str(dest))

    def validate(self, ctx: Any) -> Any:
        if ctx.options.destination.copies > 3:
            yield ctx.problem(("options", "copies"), "at most 3 copies", "1, 2 or 3")

    @hookimpl
    def dop_egress_types(self) -> list[EgressType]:
        return [EgressType(name="shelf", export=self.export, options=ShelfOptions, validate=self.validate)]


@pytest.fixture
def shelf(register_plugin: Any) -> ShelfPlugin:
    plugin = ShelfPlugin()
    register_plugin(plugin, name="shelf")
    return plugin


CONFIG = """\
schema: shop
tasks:
  - identifier: export_orders
    kind: {action: egress, target: shelf}
    options:
      path: exports/{{ ds }}/orders.csv
      shelf: daily
      delimiter: ";"
"""


def _errors(dop_project: Any, config: str, sql: dict[str, str] | None = None) -> str:
    dop_project.dag("d", config, sql)
    with pytest.raises(ConfigError) as caught:
        from dop_core.build.dags import build_one

        build_one(dop_project.project(), "d")
    return str(caught.value)


def test_a_third_party_destination_gets_its_typed_options_and_a_templated_operator(
    shelf, dop_project
) -> None:
    from dop_core.build.dags import build_one
    from dop_core.builtin.egress.operator import DopEgressOperator

    dop_project.dag("d", CONFIG, sql={"export_orders": "SELECT * FROM shop.orders WHERE day = '{{ ds }}'"})
    dag = build_one(dop_project.project(), "d")
    op = dag.get_task("export_orders")
    assert isinstance(op, DopEgressOperator)
    assert set(op.template_fields) == {"path", "sql"}
    assert op.destination == "shelf"
    assert op.destination_options == ShelfOptions(shelf="daily")
    assert op.file_format == FileFormat("csv", header=True, delimiter=";", compression="none")
    assert op.sql == "sql/export_orders.sql" and op.source is None
    assert op.path == "exports/{{ ds }}/orders.csv"


def test_the_operator_renders_exports_through_the_destination_and_logs_rows_bytes_and_where(
    shelf, dop_project, capsys: pytest.CaptureFixture[str]
) -> None:
    from dop_core.build.dags import build_one
    from dop_core.contract.runtime import connect
    from dop_core.validate.targets import resolve_target

    project = dop_project.project()
    with connect(resolve_target(project)) as engine:
        engine.execute(
            "CREATE SCHEMA shop; CREATE TABLE shop.orders AS "
            "SELECT i AS id, DATE '2024-01-01' + CAST(i % 3 AS INTEGER) AS day FROM range(30) t(i)"
        )
    dop_project.dag(
        "d", CONFIG, sql={"export_orders": "SELECT id FROM shop.orders WHERE day = '{{ ds }}' ORDER BY id"}
    )
    op = build_one(dop_project.project(), "d").get_task("export_orders")
    context: dict[str, Any] = {"ds": "2024-01-02", "params": {}}
    op.render_template_fields(context)
    assert op.path == "exports/2024-01-02/orders.csv"
    assert op.sql.strip() == "SELECT id FROM shop.orders WHERE day = '2024-01-02' ORDER BY id"
    xcom = op.execute(context)
    dest = dop_project.root / "shelves/daily/exports/2024-01-02/orders.csv"
    assert dest.read_text().splitlines() == ["id", *[str(i) for i in range(1, 30, 3)]]
    assert xcom == {"rows": 10, "bytes": dest.stat().st_size, "where": str(dest), "skipped": False}
    assert (
        f"exported 10 rows ({dest.stat().st_size} bytes) as csv to {dest}" in capsys.readouterr().out
    )  # Airflow logs to stdout
    (request,) = shelf.requests
    assert request.source is None and request.dialect == "bigquery"


def test_a_source_table_needs_no_sql_file(shelf, dop_project) -> None:
    from dop_core.build.dags import build_one
    from dop_core.config.identifiers import Relation

    dop_project.dag(
        "d", CONFIG.replace("      shelf: daily\n", "      shelf: daily\n      source: shop.orders\n")
    )
    op = build_one(dop_project.project(), "d").get_task("export_orders")
    assert op.source == Relation("shop", "orders") and op.sql == ""


@pytest.mark.parametrize(
    ("options", "line", "message"),
    [
        ("      shelve: daily\n", 7, "unknown key 'shelve' for an egress to 'shelf'"),
        ("      shelf: daily\n      copies: two\n", 8, "'two' is not an integer"),
        ("      shelf: daily\n      copies: 5\n", 8, "at most 3 copies"),
        (
            "      shelf: daily\n      compression: snappy\n",
            8,
            "snappy compression is for parquet files, not csv",
        ),
        ("      shelf: daily\n      source: orders\n", 8, "'orders' is not a table name: write schema.table"),
        ("      shelf: daily\n      overwrite: always\n", 8, "'always' is not allowed here"),
        ("", 6, "missing required key 'shelf'"),
    ],
)
def test_bad_options_are_reported_at_their_line(
    shelf, dop_project, options: str, line: int, message: str
) -> None:
    config = CONFIG.replace("      shelf: daily\n", options)
    text = _errors(dop_project, config, sql={"export_orders": "SELECT 1"})
    assert f"config.yaml:{line}:" in text.split(message)[0].splitlines()[-1], text
    assert message in text


def test_did_you_mean_lists_the_common_and_the_destinations_keys(shelf, dop_project) -> None:
    text = _errors(
        dop_project, CONFIG.replace("shelf: daily", "shelve: daily"), sql={"export_orders": "SELECT 1"}
    )
    assert (
        "expected: one of path, source, format, header, delimiter, compression, overwrite, success_marker, "
        "shelf, copies" in text
    )
    assert "did you mean 'shelf'?" in text


def test_nothing_to_export_and_both_sources_are_errors(shelf, dop_project) -> None:
    text = _errors(dop_project, CONFIG)
    assert "config.yaml:3:" in text and "egress task 'export_orders' has nothing to export" in text
    assert "add `source: schema.table` or create sql/export_orders.sql" in text
    both = CONFIG.replace("      shelf: daily\n", "      shelf: daily\n      source: shop.orders\n")
    text = _errors(dop_project, both, sql={"export_orders": "SELECT 1"})
    assert "config.yaml:8:" in text and "has both options.source and sql/export_orders.sql" in text


def test_a_destination_of_a_missing_plugin_says_what_to_install(dop_plugin_manager, dop_project) -> None:
    text = _errors(
        dop_project, CONFIG.replace("target: shelf", "target: sftp"), sql={"export_orders": "SELECT 1"}
    )
    assert "config.yaml:4:" in text and "egress 'sftp' is provided by the dop-egress plugin" in text
    assert "pip install dop-egress" in text


def test_an_unknown_destination_lists_the_installed_ones(shelf, dop_project) -> None:
    text = _errors(
        dop_project, CONFIG.replace("target: shelf", "target: shelve"), sql={"export_orders": "SELECT 1"}
    )
    assert "unknown egress 'shelve'; installed: shelf" in text


def test_the_format_comes_from_the_path_unless_given() -> None:
    def fmt(path: str, **kw: Any) -> FileFormat:
        return file_format(EgressOptions(path=path, **kw))

    assert fmt("x/{{ ds }}/a.parquet") == FileFormat("parquet", compression="snappy")
    assert fmt("a.csv.gz") == FileFormat("csv", compression="gzip")
    assert fmt("a_{{ ds_nodash }}.tsv") == FileFormat("csv", delimiter="\t")
    assert fmt("a.ndjson.zst") == FileFormat("jsonl", compression="zstd")
    assert fmt("a.dat", format="csv", header=False) == FileFormat("csv", header=False)
    assert (
        fmt("a.parquet", compression="none").duckdb_options() == "FORMAT parquet, COMPRESSION 'uncompressed'"
    )
    with pytest.raises(ValueError, match=r"cannot tell the file format from the path 'a\.dat'"):
        fmt("a.dat")


def test_names_beside_the_file() -> None:
    assert marker_path("gs://b/x/y.csv") == "gs://b/x/_SUCCESS"
    assert marker_path("y.csv") == "_SUCCESS"
    tmp = temp_name("/up/y.csv")
    assert tmp.startswith("/up/.y.csv.dop-tmp-") and len(pathlib.PurePosixPath(tmp).name) > len(
        ".y.csv.dop-tmp-"
    )
    assert (
        human_bytes(999) == "999 B" and human_bytes(1500) == "1.5 kB" and human_bytes(2_500_000) == "2.5 MB"
    )
    # a task's temporary names carry its token, so its next run finds what a killed run left
    token = task_token("dop__shop", "orders_csv")
    assert token == task_token("dop__shop", "orders_csv") != task_token("dop__shop", "other")
    assert temp_name("gs://b/x/y.csv", token).startswith(f"gs://b/x/{temp_prefix('y.csv', token)}")
    assert temp_prefix("x/y.csv", token) == f".y.csv.dop-tmp-{token}-"


def test_a_destination_must_return_an_export_result(register_plugin: Any, dop_project) -> None:
    from dop_core.build.dags import build_one
    from dop_core.errors import DopError

    class Broken:
        @hookimpl
        def dop_egress_types(self) -> list[EgressType]:
            return [EgressType(name="shelf", export=lambda request: "done", options=ShelfOptions)]

    register_plugin(Broken(), name="broken")
    dop_project.dag("d", textwrap.dedent(CONFIG), sql={"export_orders": "SELECT 1 AS x"})
    op = build_one(dop_project.project(), "d").get_task("export_orders")
    op.render_template_fields({"ds": "2024-01-02", "params": {}})
    with pytest.raises(
        DopError, match=r"the 'shelf' egress destination \(broken\) returned 'done', not an ExportResult"
    ):
        op.execute({})


def test_a_run_of_the_same_task_keeps_the_scratch_folder_another_live_run_writes_in(tmp_path, monkeypatch) -> None:
    """Two runs of one export task (two dates at once) each write in a scratch folder of their own; the
    second's clean-up of killed runs' folders must not delete the first's while it writes."""
    import subprocess
    import tempfile

    from dop_core.contract.egress import _scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process that ran and ended: the owner of a killed run's folder
    killed = tmp_path / f"dop-egress-tok-{gone.pid}-abcd"
    killed.mkdir()
    with _scratch(None, "tok") as first:
        (first / "part.csv").write_text("1\n")
        with _scratch(None, "tok") as second:
            assert (first / "part.csv").read_text() == "1\n"
            assert second != first
    assert not killed.exists()
