"""DOP, the Data Orchestration Platform: folders of YAML + SQL become Apache Airflow 3 DAGs.

The public API (what plugins may import) is what this module exports. Importing it is cheap: the
names resolve lazily, so a DAG file imports only what building DAGs needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "build_dags": "dop_core.build.dags",
    "asset_uri": "dop_core.build.dags",
    "hookimpl": "dop_core.hookspecs",
    "hookspec": "dop_core.hookspecs",
    "TaskType": "dop_core.records",
    "TriggerType": "dop_core.records",
    "EgressType": "dop_core.records",
    "EngineType": "dop_core.records",
    "NoOptions": "dop_core.records",
    "TaskBuild": "dop_core.build.context",
    "TriggerBuild": "dop_core.build.context",
    "ValidationContext": "dop_core.build.context",
    "Problem": "dop_core.errors",
    "Location": "dop_core.errors",
    "ConfigError": "dop_core.errors",
    "DopError": "dop_core.errors",
    "EngineError": "dop_core.errors",
    "PluginError": "dop_core.errors",
    "Project": "dop_core.project",
    "DagConfig": "dop_core.project",
    "TaskConfig": "dop_core.project",
    "Target": "dop_core.project",
    "load_project": "dop_core.project",
    "Relation": "dop_core.identifiers",
    "Engine": "dop_core.engines.base",
    "QueryResult": "dop_core.engines.base",
    "Argument": "dop_core.engines.base",
    "InterpretedProcedures": "dop_core.sql.scripting.procedures",
    "parse_script": "dop_core.sql.scripting.parser",
    "TableShape": "dop_core.engines.shape",
    "ColumnShape": "dop_core.engines.shape",
    "PartitioningUnknown": "dop_core.engines.shape",
    "partitioning_from_comment": "dop_core.engines.shape",
    "record_partitioning_sql": "dop_core.engines.shape",
    "Partitioning": "dop_core.project",
    "SqlError": "dop_core.engines.sql",
    "parse_type": "dop_core.engines.sql",
    "translate_type": "dop_core.engines.sql",
    "check_query": "dop_core.engines.sql",
    "check_delimiter": "dop_core.identifiers",
    "parse_duration": "dop_core.config.durations",
    "Structurer": "dop_core.config.structure",
    "full_refresh_of": "dop_core.operators.sql",
    "connect": "dop_core.operators.sql",
    "VariableParamsMixin": "dop_core.operators.params",
    "HiddenCredentialsMixin": "dop_core.operators.credentials",
    "redact": "dop_core.secrets",
    "register_secrets": "dop_core.secrets",
    "validate_project": "dop_core.validate",
    "get_registry": "dop_core.plugins",
    "resolve_project_path": "dop_core.paths",
    "OutsideProject": "dop_core.paths",
    "UnsupportedSqlError": "dop_core.sql",
    "Extra": "dop_core.extras",
    "GOOGLE_EXTRA": "dop_core.extras",
    "MissingExtra": "dop_core.extras",
    "DoctorCheck": "dop_core.doctor",
}

__all__ = [
    "GOOGLE_EXTRA",
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
    "Extra",
    "HiddenCredentialsMixin",
    "InterpretedProcedures",
    "Location",
    "MissingExtra",
    "NoOptions",
    "OutsideProject",
    "Partitioning",
    "PartitioningUnknown",
    "PluginError",
    "Problem",
    "Project",
    "QueryResult",
    "Relation",
    "SqlError",
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
    "asset_uri",
    "build_dags",
    "check_delimiter",
    "check_query",
    "connect",
    "full_refresh_of",
    "get_registry",
    "hookimpl",
    "hookspec",
    "load_project",
    "parse_duration",
    "parse_script",
    "parse_type",
    "partitioning_from_comment",
    "record_partitioning_sql",
    "redact",
    "register_secrets",
    "resolve_project_path",
    "translate_type",
    "validate_project",
]

if TYPE_CHECKING:
    from dop_core.build.context import TaskBuild, TriggerBuild, ValidationContext
    from dop_core.build.dags import asset_uri, build_dags
    from dop_core.config.durations import parse_duration
    from dop_core.config.structure import Structurer
    from dop_core.doctor import DoctorCheck
    from dop_core.engines.base import Argument, Engine, QueryResult
    from dop_core.engines.shape import (
        ColumnShape,
        PartitioningUnknown,
        TableShape,
        partitioning_from_comment,
        record_partitioning_sql,
    )
    from dop_core.engines.sql import SqlError, check_query, parse_type, translate_type
    from dop_core.errors import ConfigError, DopError, EngineError, Location, PluginError, Problem
    from dop_core.extras import GOOGLE_EXTRA, Extra, MissingExtra
    from dop_core.hookspecs import hookimpl, hookspec
    from dop_core.identifiers import Relation, check_delimiter
    from dop_core.operators.credentials import HiddenCredentialsMixin
    from dop_core.operators.params import VariableParamsMixin
    from dop_core.operators.sql import connect, full_refresh_of
    from dop_core.paths import OutsideProject, resolve_project_path
    from dop_core.plugins import get_registry
    from dop_core.project import DagConfig, Partitioning, Project, Target, TaskConfig, load_project
    from dop_core.records import EgressType, EngineType, NoOptions, TaskType, TriggerType
    from dop_core.secrets import redact, register_secrets
    from dop_core.sql import UnsupportedSqlError
    from dop_core.sql.scripting.parser import parse_script
    from dop_core.sql.scripting.procedures import InterpretedProcedures
    from dop_core.validate import validate_project


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dop_core' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
