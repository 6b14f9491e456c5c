"""The JSON schemas of a project's files, for editors: a DAG's ``config.yaml``, ``dop_project.yml``, and a
task's ``tests/<task>.yaml``.

They cover what the installed plugins registered, read from the same attrs models ``dop validate``
structures configs with (:mod:`dop_core.schema.models`): each task kind's ``options`` (chosen by
``kind: {action, target}``, one ``if``/``then`` per kind), each trigger's, each egress destination's
keys beside the egress options, and each engine's target keys. What only code can check (a
dependency cycle, a SQL file that must exist, an operator class that must import) stays with
``dop validate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dop_core.contract.registry import Registry
from dop_core.schema.models import Definitions, object_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: the target of an action that takes any target (airflow_operator: an operator's dotted class path)
DOTTED_PATH = {"type": "string", "pattern": r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+$"}
#: the action whose targets are egress destinations (``dop_egress_types``), their keys beside its options


def _document(title: str, description: str, root: dict[str, Any], defs: Definitions) -> dict[str, Any]:
    return {"$schema": DRAFT, "title": title, "description": description, **root, "$defs": defs.schemas}


def _model(record: Any, warnings: list[str]) -> type | None:
    try:
        return record.options_model
    except Exception as exc:  # a broken plugin: its options accept anything, and the writer says so
        warnings.append(str(exc))
        return None


def _when(path: list[str], value: str, then: dict[str, Any]) -> dict[str, Any]:
    """``if`` the mapping's key ``path`` (e.g. kind, action) holds ``value``, ``then`` applies."""
    condition: dict[str, Any] = {"const": value}
    for key in reversed(path):
        condition = {"properties": {key: condition}, "required": [key]}
    return {"if": condition, "then": then}


def _options(schema: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"options": schema}}


def _task_kinds(registry: Registry, defs: Definitions, warnings: list[str]) -> list[dict[str, Any]]:
    """What ``kind`` may name, and the ``options`` each kind takes."""
    from dop_core.builtin.egress.options import EgressOptions
    from dop_core.builtin.egress.plugin import ACTION as EGRESS

    rules: list[dict[str, Any]] = [{"properties": {"kind": {"properties": {"action": {"enum": registry.actions()}}}}}]
    for action in registry.actions():
        targets = sorted(t for a, t in registry.task_types if a == action)
        if action == EGRESS and targets == ["*"]:
            target: dict[str, Any] = {"enum": sorted(registry.egress_types)}
        elif "*" in targets:
            target = DOTTED_PATH
        else:
            target = {"enum": targets}
        rules.append(_when(["kind", "action"], action, {"properties": {"kind": {"properties": {"target": target}}}}))
        for name in targets:
            model = _model(registry.task_types[(action, name)], warnings)
            if model is None:
                continue
            if name != "*":
                rules.append({"if": _kind_is(action, name), "then": _options(defs.ref(model))})
            elif action == EGRESS:
                for destination in sorted(registry.egress_types.values(), key=lambda e: e.name):
                    own = _model(destination, warnings)
                    keys = object_schema([c for c in (own, EgressOptions) if c is not None], defs)
                    keys["additionalProperties"] = False  # the egress options and the destination's, no other
                    ref = defs.add(f"egress_{destination.name}_options", keys)
                    rules.append({"if": _kind_is(action, destination.name), "then": _options(ref)})
            else:
                rules.append(_when(["kind", "action"], action, _options(defs.ref(model))))
    return rules


def _kind_is(action: str, target: str) -> dict[str, Any]:
    """The condition ``kind: {action: <action>, target: <target>}``."""
    return {"properties": {"kind": {"properties": {"action": {"const": action}, "target": {"const": target}},
                                    "required": ["action", "target"]}}, "required": ["kind"]}


def _trigger_kinds(registry: Registry, defs: Definitions, warnings: list[str]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"properties": {"kind": {"enum": sorted(registry.trigger_types)}}}]
    for kind, trigger in sorted(registry.trigger_types.items()):
        model = _model(trigger, warnings)
        if model is not None:
            rules.append(_when(["kind"], kind, _options(defs.ref(model))))
    return rules


def _declared_param(defs: Definitions) -> dict[str, Any]:
    """A param is a plain value, or a mapping with ``default`` or ``type``: a declaration (dop_core.config.params)."""
    from dop_core.config.params import DECLARATION_KEYS, ParamSpec

    return {"if": {"type": "object", "anyOf": [{"required": [key]} for key in DECLARATION_KEYS]},
            "then": defs.ref(ParamSpec)}


def _partitioning_rules() -> list[dict[str, Any]]:
    """The rules between keys of ``partitioning`` (``Partitioning.__attrs_post_init__``): int64 partitions need a
    range; a date column has no hours (``data_type`` is date when left out)."""
    from dop_core.config.json_schema import any_case

    return [{"if": {"properties": {"data_type": any_case("int64", "integer", "int")}, "required": ["data_type"]},
             "then": {"required": ["range"], "properties": {"range": {"type": "object"}}}},
            {"if": {"properties": {"data_type": any_case("date"), "granularity": any_case("hour")},
                    "required": ["granularity"]},
             "then": {"not": {}, "description": "a date column cannot be partitioned by hour"}}]


def dag_schema(registry: Registry, warnings: list[str] | None = None) -> dict[str, Any]:
    """The schema of ``orchestration/<dag>/config.yaml``."""
    from dop_core.config.models import DagConfig, Partitioning, TaskConfig, TriggerConfig

    warnings = [] if warnings is None else warnings
    defs = Definitions()
    root = object_schema([DagConfig], defs)
    root["properties"]["params"]["additionalProperties"] = _declared_param(defs)
    defs.ref(TaskConfig)  # made by now (DagConfig.tasks): add the rules of kinds and triggers to them
    defs.schemas["TaskConfig"]["allOf"] = _task_kinds(registry, defs, warnings)
    defs.ref(TriggerConfig)
    defs.schemas["TriggerConfig"]["allOf"] = _trigger_kinds(registry, defs, warnings)
    defs.ref(Partitioning)
    defs.schemas["Partitioning"]["allOf"] = _partitioning_rules()
    return _document("DOP DAG config (orchestration/<dag>/config.yaml)",
                     "One Airflow DAG (dop__<folder>): its schedule, params and tasks. Generated by `dop schema` "
                     "from DOP and its installed plugins; `dop validate` checks what a schema cannot.", root, defs)


def project_schema(registry: Registry, warnings: list[str] | None = None) -> dict[str, Any]:
    """The schema of ``dop_project.yml``."""
    from dop_core.config.models import ProjectFile

    warnings = [] if warnings is None else warnings
    defs = Definitions()
    root = object_schema([ProjectFile], defs)
    rules = []
    for name, engine in sorted(registry.engines.items()):
        model = _model(engine, warnings)
        keys = object_schema([model] if model is not None else [], defs, extra={"engine": {"const": name}})
        if model is None:
            keys.pop("additionalProperties", None)
        rules.append(_when(["engine"], name, defs.add(f"{name}_target", keys)))
    target = {"type": "object", "required": ["engine"], "allOf": rules,
              "properties": {"engine": {"enum": sorted(registry.engines), "description": "the engine the target's "
                                        "SQL runs on; the other keys are the engine's"}}}
    targets = root["properties"]["targets"]
    targets["anyOf"][0]["additionalProperties"] = defs.add("target", target)
    return _document("DOP project (dop_project.yml)", "The service project: its name, SQL dialect and targets. "
                     "Generated by `dop schema` from DOP and its installed plugins.", root, defs)


def sql_tests_schema(registry: Registry, warnings: list[str] | None = None) -> dict[str, Any]:
    """The schema of ``orchestration/<dag>/tests/<task>.yaml``: a list of SQL tests."""
    from dop_core.config.sqltest import SqlTest

    defs = Definitions()
    return _document("DOP SQL tests (orchestration/<dag>/tests/<task>.yaml)",
                     "Unit tests of the task's SQL, run by `dop test` on an in-memory DuckDB.",
                     {"type": "array", "items": defs.ref(SqlTest)}, defs)


#: each file `dop schema` writes, and what makes it
SCHEMAS: dict[str, Callable[..., dict[str, Any]]] = {
    "config.schema.json": dag_schema,
    "dop_project.schema.json": project_schema,
    "tests.schema.json": sql_tests_schema,
}
