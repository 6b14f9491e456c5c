"""DOP, the Data Orchestration Platform: folders of YAML + SQL become Apache Airflow 3 DAGs.

The public API (what plugins may import) is what this module exports. Importing it is cheap: the
names resolve lazily, so a DAG file imports only what building DAGs needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "install_postgres_library": "dop_core.sql.library",
    "build_dags": "dop_core.build.dags",
    "asset_uri": "dop_core.contract.runtime",
    "table_asset": "dop_core.contract.runtime",
    "hookimpl": "dop_core.contract.hookspecs",
    "hookspec": "dop_core.contract.hookspecs",
    "TaskType": "dop_core.contract.records",
    "TriggerType": "dop_core.contract.records",
    "EgressType": "dop_core.contract.records",
    "EngineType": "dop_core.contract.records",
    "NoOptions": "dop_core.contract.records",
    "TaskBuild": "dop_core.contract.contexts",
    "TriggerBuild": "dop_core.contract.contexts",
    "ValidationContext": "dop_core.contract.contexts",
    "Problem": "dop_core.errors",
    "Location": "dop_core.errors",
    "ConfigError": "dop_core.errors",
    "DopError": "dop_core.errors",
    "EngineError": "dop_core.errors",
    "PluginError": "dop_core.errors",
    "Project": "dop_core.config.models",
    "DagConfig": "dop_core.config.models",
    "TaskConfig": "dop_core.config.models",
    "Target": "dop_core.config.models",
    "load_project": "dop_core.config.project",
    "Relation": "dop_core.config.identifiers",
    "Engine": "dop_core.contract.engine",
    "QueryResult": "dop_core.contract.engine",
    "Argument": "dop_core.contract.engine",
    "InterpretedProcedures": "dop_core.sql.scripting.procedures",
    "parse_script": "dop_core.sql.scripting.parser",
    "TableShape": "dop_core.contract.shape",
    "ColumnShape": "dop_core.contract.shape",
    "PartitioningUnknown": "dop_core.contract.shape",
    "partitioning_from_comment": "dop_core.contract.shape",
    "record_partitioning_sql": "dop_core.contract.shape",
    "Partitioning": "dop_core.config.models",
    "SqlError": "dop_core.sql.dialects",
    "parse_type": "dop_core.sql.dialects",
    "translate_type": "dop_core.sql.dialects",
    "check_query": "dop_core.sql.dialects",
    "check_delimiter": "dop_core.config.identifiers",
    "parse_duration": "dop_core.config.durations",
    "whole_number": "dop_core.config.bounds",
    "seconds": "dop_core.config.bounds",
    "duration": "dop_core.config.bounds",
    "Structurer": "dop_core.config.structure",
    "full_refresh_of": "dop_core.contract.runtime",
    "connect": "dop_core.contract.runtime",
    "VariableParamsMixin": "dop_core.contract.variable_params",
    "HiddenCredentialsMixin": "dop_core.contract.credentials",
    "redact": "dop_core.secrets",
    "register_secrets": "dop_core.secrets",
    "validate_project": "dop_core.validate.project",
    "get_registry": "dop_core.contract.registry",
    "resolve_project_path": "dop_core.config.paths",
    "OutsideProject": "dop_core.config.paths",
    "UnsupportedSqlError": "dop_core.sql",
    "Extra": "dop_core.extras",
    "GOOGLE_EXTRA": "dop_core.extras",
    "MissingExtra": "dop_core.extras",
    "check_identifier": "dop_core.config.identifiers",
    "MISSING": "dop_core.config.structure",
    "did_you_mean": "dop_core.errors",
    "LookupProblem": "dop_core.errors",
    "file_lock": "dop_core.util.locks",
    "warehouse_lock": "dop_core.contract.runtime",
    "resolve_target": "dop_core.validate.targets",
    "airflow_env": "dop_core.cli.airflow_home",
    "ensure_database": "dop_core.cli.airflow_home",
    "ExportRequest": "dop_core.contract.egress",
    "ExportResult": "dop_core.contract.egress",
    "FileFormat": "dop_core.contract.egress",
    "beside": "dop_core.contract.egress",
    "marker_path": "dop_core.contract.egress",
    "publish_export": "dop_core.contract.egress",
    "temp_name": "dop_core.contract.egress",
    "temp_prefix": "dop_core.contract.egress",
    "task_token": "dop_core.contract.egress",
    "PluginSettings": "dop_core.contract.records",
    "SettingsContext": "dop_core.contract.contexts",
    "RunContext": "dop_core.contract.contexts",
    "SqlTestRun": "dop_core.contract.contexts",
    "plugin_settings": "dop_core.validate.settings",
    "DoctorCheck": "dop_core.contract.records",
    "ForkServer": "dop_core.util.forkserver",
}

__all__ = [
    "GOOGLE_EXTRA",
    "MISSING",
    "Argument",
    "ColumnShape",
    "ConfigError",
    "DagConfig",
    "DoctorCheck",
    "DopError",
    "EgressType",
    "Engine",
    "EngineError",
    "EngineType",
    "ExportRequest",
    "ExportResult",
    "Extra",
    "FileFormat",
    "ForkServer",
    "HiddenCredentialsMixin",
    "InterpretedProcedures",
    "Location",
    "LookupProblem",
    "MissingExtra",
    "NoOptions",
    "OutsideProject",
    "Partitioning",
    "PartitioningUnknown",
    "PluginError",
    "PluginSettings",
    "Problem",
    "Project",
    "QueryResult",
    "Relation",
    "RunContext",
    "SettingsContext",
    "SqlError",
    "SqlTestRun",
    "Structurer",
    "TableShape",
    "Target",
    "TaskBuild",
    "TaskConfig",
    "TaskType",
    "TriggerBuild",
    "TriggerType",
    "UnsupportedSqlError",
    "ValidationContext",
    "VariableParamsMixin",
    "__version__",
    "airflow_env",
    "asset_uri",
    "beside",
    "build_dags",
    "check_delimiter",
    "check_identifier",
    "check_query",
    "connect",
    "did_you_mean",
    "duration",
    "ensure_database",
    "file_lock",
    "full_refresh_of",
    "get_registry",
    "hookimpl",
    "hookspec",
    "install_postgres_library",
    "load_project",
    "marker_path",
    "parse_duration",
    "parse_script",
    "parse_type",
    "partitioning_from_comment",
    "plugin_settings",
    "publish_export",
    "record_partitioning_sql",
    "redact",
    "register_secrets",
    "resolve_project_path",
    "resolve_target",
    "seconds",
    "table_asset",
    "task_token",
    "temp_name",
    "temp_prefix",
    "translate_type",
    "validate_project",
    "warehouse_lock",
    "whole_number",
]

if TYPE_CHECKING:
    from dop_core.build.dags import build_dags
    from dop_core.cli.airflow_home import airflow_env, ensure_database
    from dop_core.config.bounds import duration, seconds, whole_number
    from dop_core.config.durations import parse_duration
    from dop_core.config.identifiers import Relation, check_delimiter, check_identifier
    from dop_core.config.models import DagConfig, Partitioning, Project, Target, TaskConfig
    from dop_core.config.paths import OutsideProject, resolve_project_path
    from dop_core.config.project import load_project
    from dop_core.config.structure import MISSING, Structurer
    from dop_core.contract.contexts import (
        RunContext,
        SettingsContext,
        SqlTestRun,
        TaskBuild,
        TriggerBuild,
        ValidationContext,
    )
    from dop_core.contract.credentials import HiddenCredentialsMixin
    from dop_core.contract.egress import (
        ExportRequest,
        ExportResult,
        FileFormat,
        beside,
        marker_path,
        publish_export,
        task_token,
        temp_name,
        temp_prefix,
    )
    from dop_core.contract.engine import Argument, Engine, QueryResult
    from dop_core.contract.hookspecs import hookimpl, hookspec
    from dop_core.contract.records import (
        DoctorCheck,
        EgressType,
        EngineType,
        NoOptions,
        PluginSettings,
        TaskType,
        TriggerType,
    )
    from dop_core.contract.registry import get_registry
    from dop_core.contract.runtime import asset_uri, connect, full_refresh_of, warehouse_lock
    from dop_core.contract.shape import (
        ColumnShape,
        PartitioningUnknown,
        TableShape,
        partitioning_from_comment,
        record_partitioning_sql,
    )
    from dop_core.contract.variable_params import VariableParamsMixin
    from dop_core.errors import (
        ConfigError,
        DopError,
        EngineError,
        Location,
        LookupProblem,
        PluginError,
        Problem,
        did_you_mean,
    )
    from dop_core.extras import GOOGLE_EXTRA, Extra, MissingExtra
    from dop_core.secrets import redact, register_secrets
    from dop_core.sql import UnsupportedSqlError
    from dop_core.sql.dialects import SqlError, check_query, parse_type, translate_type
    from dop_core.sql.library import install_postgres_library
    from dop_core.sql.scripting.parser import parse_script
    from dop_core.sql.scripting.procedures import InterpretedProcedures
    from dop_core.util.forkserver import ForkServer
    from dop_core.util.locks import file_lock
    from dop_core.validate.project import validate_project
    from dop_core.validate.settings import plugin_settings
    from dop_core.validate.targets import resolve_target

def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dop_core' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
