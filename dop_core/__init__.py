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
    "parse_duration": "dop_core.config.durations",
    "Structurer": "dop_core.config.structure",
    "full_refresh_of": "dop_core.operators.sql",
    "connect": "dop_core.operators.sql",
    "VariableParamsMixin": "dop_core.operators.params",
    "validate_project": "dop_core.validate",
    "get_registry": "dop_core.plugins",
    "UnsupportedSqlError": "dop_core.sql",
}

__all__ = [
    "Argument",
    "ConfigError",
    "DagConfig",
    "DopError",
    "EgressType",
    "Engine",
    "EngineError",
    "EngineType",
    "Location",
    "NoOptions",
    "PluginError",
    "Problem",
    "Project",
    "QueryResult",
    "Relation",
    "Structurer",
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
    "connect",
    "full_refresh_of",
    "get_registry",
    "hookimpl",
    "hookspec",
    "load_project",
    "parse_duration",
    "validate_project",
]

if TYPE_CHECKING:
    from dop_core.build.context import TaskBuild, TriggerBuild, ValidationContext
    from dop_core.build.dags import asset_uri, build_dags
    from dop_core.config.durations import parse_duration
    from dop_core.config.structure import Structurer
    from dop_core.engines.base import Argument, Engine, QueryResult
    from dop_core.errors import ConfigError, DopError, EngineError, Location, PluginError, Problem
    from dop_core.hookspecs import hookimpl, hookspec
    from dop_core.identifiers import Relation
    from dop_core.operators.params import VariableParamsMixin
    from dop_core.operators.sql import connect, full_refresh_of
    from dop_core.plugins import get_registry
    from dop_core.project import DagConfig, Project, Target, TaskConfig, load_project
    from dop_core.records import EgressType, EngineType, NoOptions, TaskType, TriggerType
    from dop_core.sql import UnsupportedSqlError
    from dop_core.validate import validate_project


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dop_core' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
