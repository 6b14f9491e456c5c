"""The dbt profile DOP writes for a DOP target: dbt never needs a ``~/.dbt/profiles.yml``.

The profile is named what the dbt project's ``profile:`` asks for, with one output ``dop``:

- a DuckDB target -> dbt-duckdb on the same warehouse file as the native tasks;
- a BigQuery target -> dbt-bigquery with ``method: oauth`` (the worker's credentials) and
  ``impersonate_service_account`` (no key files);

the schema (BigQuery dataset) is the task's ``schema``.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from dop_dbt.settings import DbtSettings

OUTPUT = "dop"
DEFAULT_THREADS = 4


class ProfileError(ValueError):
    """DOP cannot write a dbt profile for this target."""


def duckdb_path(target: Any) -> pathlib.Path | None:
    """The warehouse file of a DuckDB target, as the engine resolves it (None for ':memory:')."""
    from dop_core import resolve_project_path

    opts = target.typed_options
    path_text = getattr(opts, "path", None) or target.options.get("path") or ".dop/warehouse.duckdb"
    if path_text == ":memory:":
        return None
    return resolve_project_path(target, path_text, what=f"the DuckDB warehouse of target {target.name!r}")


def output_for(target: Any, schema: str, settings: DbtSettings) -> dict[str, Any]:
    threads = settings.threads or DEFAULT_THREADS
    if target.engine == "duckdb":
        path = duckdb_path(target)
        if path is None:
            raise ProfileError(f"target {target.name!r} is an in-memory DuckDB (path: ':memory:'), which dbt, "
                               "running as its own process, cannot share; give the target a file path")
        out: dict[str, Any] = {"type": "duckdb", "path": str(path), "schema": schema, "threads": threads}
        opts = target.typed_options
        settings_ = {}
        if getattr(opts, "memory_limit", None):
            settings_["memory_limit"] = opts.memory_limit
        if settings_:
            out["settings"] = settings_
        return out
    if target.engine == "bigquery":
        opts = target.typed_options
        chain = getattr(opts, "impersonation_chain", None) or target.options.get("impersonation_chain")
        if isinstance(chain, list):
            chain = chain[-1] if chain else None
        out = {"type": "bigquery", "method": "oauth", "dataset": schema, "threads": threads,
               "job_execution_timeout_seconds": int(getattr(opts, "job_timeout", 3600) or 3600)}
        project = getattr(opts, "project", None) or target.options.get("project")
        if project:
            out["project"] = project
        location = getattr(opts, "location", None) or target.options.get("location")
        if location:
            out["location"] = location
        account = settings.impersonate_service_account or chain
        if account:
            out["impersonate_service_account"] = account
        return out
    raise ProfileError(f"dop-dbt has no dbt profile for engine {target.engine!r} (target {target.name!r}); "
                       "supported: duckdb, bigquery|use a duckdb or bigquery target for dbt tasks")


def profile(profile_name: str, target: Any, schema: str, settings: DbtSettings) -> dict[str, Any]:
    return {profile_name: {"target": OUTPUT, "outputs": {OUTPUT: output_for(target, schema, settings)}}}


def write(folder: pathlib.Path, profile_name: str, target: Any, schema: str, settings: DbtSettings) -> pathlib.Path:
    """Write ``folder/profiles.yml`` (JSON is valid YAML: no YAML writer needed) unless it already says that;
    return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "# Written by DOP for every dbt run; edits are overwritten.\n"
    text += json.dumps(profile(profile_name, target, schema, settings), indent=2) + "\n"
    path = folder / "profiles.yml"
    try:
        same = path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        same = False
    if not same:
        path.write_text(text, encoding="utf-8")
    return folder
