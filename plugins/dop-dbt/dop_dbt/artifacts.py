"""What a dbt run leaves behind: ``run_results.json`` (summarised, and appended to a warehouse table)
and ``docs generate`` output (published to a folder or to GCS)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import pathlib
import shutil
from typing import Any

import attrs

log = logging.getLogger(__name__)

FAILED_STATUSES = ("error", "fail", "runtime error")
#: columns of the run-results table, in BigQuery types (translated for other engines)
COLUMNS = (
    ("recorded_at", "TIMESTAMP"), ("invocation_id", "STRING"), ("dag_id", "STRING"), ("task_id", "STRING"),
    ("run_id", "STRING"), ("logical_date", "STRING"), ("dbt_project", "STRING"), ("dbt_command", "STRING"),
    ("dop_target", "STRING"), ("unique_id", "STRING"), ("resource_type", "STRING"), ("status", "STRING"),
    ("execution_time", "FLOAT64"), ("failures", "INT64"), ("rows_affected", "INT64"), ("message", "STRING"),
    ("dbt_version", "STRING"), ("generated_at", "STRING"),
)
DOCS_FILES = ("index.html", "manifest.json", "catalog.json", "run_results.json")


@attrs.frozen
class NodeResult:
    unique_id: str
    status: str
    execution_time: float
    message: str | None
    failures: int | None
    rows_affected: int | None

    @property
    def resource_type(self) -> str:
        return self.unique_id.split(".", 1)[0]

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@attrs.frozen
class RunResults:
    invocation_id: str
    dbt_version: str
    generated_at: str
    nodes: list[NodeResult]

    @property
    def failed(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.failed]


def read(path: pathlib.Path) -> RunResults:
    data = json.loads(path.read_text(encoding="utf-8"))
    meta = data.get("metadata") or {}
    nodes = []
    for r in data.get("results") or []:
        adapter = r.get("adapter_response") or {}
        nodes.append(NodeResult(unique_id=str(r.get("unique_id")), status=str(r.get("status")),
                                execution_time=float(r.get("execution_time") or 0.0), message=r.get("message"),
                                failures=r.get("failures"), rows_affected=adapter.get("rows_affected")))
    return RunResults(invocation_id=str(meta.get("invocation_id") or ""),
                      dbt_version=str(meta.get("dbt_version") or ""),
                      generated_at=str(meta.get("generated_at") or ""), nodes=nodes)


def summary(results: RunResults) -> str:
    """One line per node: status, time, name, and the message of what failed."""
    if not results.nodes:
        return "dbt ran no node"
    width = max(len(n.status) for n in results.nodes)
    lines = [f"dbt results ({len(results.nodes)} node(s), {len(results.failed)} failed):"]
    for n in results.nodes:
        line = f"  {n.status.upper().ljust(width)}  {n.execution_time:7.2f}s  {n.unique_id}"
        if n.failed and n.message:
            line += f"  -- {n.message.strip().splitlines()[0][:300]}"
        lines.append(line)
    return "\n".join(lines)


def append(engine: Any, schema: str, table: str, database: str | None, results: RunResults,
           context: dict[str, Any]) -> int:
    """Append one row per node of ``results`` to ``schema.table`` (created if missing); return the count."""
    from dop_core import Relation

    now = dt.datetime.now(dt.UTC)
    rows = [(now, results.invocation_id, context.get("dag_id"), context.get("task_id"), context.get("run_id"),
             context.get("ds"), context.get("dbt_project"), context.get("dbt_command"), context.get("dop_target"),
             n.unique_id, n.resource_type, n.status, n.execution_time, n.failures, n.rows_affected,
             (n.message or "")[:2000] or None, results.dbt_version, results.generated_at) for n in results.nodes]
    return int(engine.append_rows(Relation(schema, table, database), COLUMNS, rows))


def publish_docs(target_dir: pathlib.Path, destination: str, project_root: pathlib.Path) -> str:
    """Copy ``docs generate`` output (index.html, manifest.json, catalog.json) to ``destination``.

    ``gs://bucket/prefix`` uploads with google-cloud-storage (imported here, in the task only);
    anything else is a folder, relative to the project.
    """
    files = [target_dir / f for f in DOCS_FILES if (target_dir / f).is_file()]
    if not any(f.name == "index.html" for f in files):
        raise FileNotFoundError(f"dbt docs generate left no index.html in {target_dir}")
    if destination.startswith("gs://"):
        from dop_core import GOOGLE_EXTRA

        GOOGLE_EXTRA.require(f"publishing dbt docs to {destination}")
        from google.cloud import storage  # type: ignore[attr-defined]  # production only, never at parse time

        bucket_name, _, prefix = destination[len("gs://"):].partition("/")
        bucket = storage.Client().bucket(bucket_name)
        for f in files:
            blob = bucket.blob(f"{prefix.rstrip('/')}/{f.name}" if prefix else f.name)
            blob.upload_from_filename(str(f), content_type="text/html" if f.suffix == ".html" else
                                      "application/json")
        return destination
    folder = pathlib.Path(destination)
    if not folder.is_absolute():
        folder = project_root / folder
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy2(f, folder / f.name)
    return str(folder)
