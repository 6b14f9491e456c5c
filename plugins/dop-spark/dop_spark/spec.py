"""What both operators hand to the job runner (:mod:`dop_spark.job`): the job spec and its context."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

# Template-context keys passed to transform(spark, inputs, context): plain values only (no lazy accessors).
CONTEXT_KEYS = (
    "ds",
    "ds_nodash",
    "ts",
    "ts_nodash",
    "ts_nodash_with_tz",
    "logical_date",
    "data_interval_start",
    "data_interval_end",
    "run_id",
    "try_number",
    "task_instance_key_str",
    "test_mode",
    "partition_key",
    "map_index_template",
)


def _plain(value: Any) -> Any:
    """``value`` as JSON data, or a ValueError: dates as ISO strings, mappings and lists recursively."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    raise ValueError(f"{type(value).__name__} is not JSON data")


def job_context(context: Any, task_id: str, dag_id: str, full_refresh: bool) -> dict[str, Any]:
    """The JSON-serialisable part of Airflow's template context, for ``transform(spark, inputs, context)``."""
    out: dict[str, Any] = {"dag_id": dag_id, "task_id": task_id, "full_refresh": full_refresh}
    for key in CONTEXT_KEYS:
        if key not in context:
            continue
        try:
            out[key] = _plain(context[key])
        except (ValueError, TypeError):
            continue
    params: dict[str, Any] = {}
    for key, value in dict(context.get("params") or {}).items():
        try:
            params[key] = _plain(value)
        except (ValueError, TypeError):
            continue
    out["params"] = params
    dag_run = context.get("dag_run")
    try:
        out["run_conf"] = _plain(getattr(dag_run, "conf", None) or {})
    except (ValueError, TypeError):
        out["run_conf"] = {}
    return out


def run_key(context: Any) -> str:
    """A file-name-safe key of this task attempt: ``<run_id>-try<n>``."""
    run_id = str(context.get("run_id") or "run")
    ti = context.get("ti")
    attempt = getattr(ti, "try_number", None) or context.get("try_number") or 1
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id).strip("_") + f"-try{attempt}"


def job_source() -> str:
    """The text of the job runner (uploaded to Dataproc's staging bucket)."""
    import pathlib

    return (pathlib.Path(__file__).with_name("job.py")).read_text(encoding="utf-8")
