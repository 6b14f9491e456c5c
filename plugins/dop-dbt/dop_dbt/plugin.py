"""dop-dbt's hooks: the ``dbt`` task action (entry point ``dbt`` in group ``dop``).

``kind: {action: dbt, target: run|test|build|seed|snapshot|source freshness|docs generate|deps}``.
Light on purpose: every parse of the DAG files imports it. The options model (:mod:`dop_dbt.options`)
and the validator and builder (:mod:`dop_dbt.tasks`) are imported when a dbt task is validated or built.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dop_core import TaskType, hookimpl

#: the task kinds' targets (dop_dbt.options.TARGETS maps each to its dbt sub-command)
DESCRIPTIONS = {
    "run": "dbt run: build the dbt project's models",
    "test": "dbt test: run the dbt project's data tests",
    "build": "dbt build: seeds, models, snapshots and tests in DAG order",
    "seed": "dbt seed: load the dbt project's CSV seeds",
    "snapshot": "dbt snapshot: record slowly changing dimensions",
    "source freshness": "dbt source freshness: check the sources' loaded_at",
    "docs generate": "dbt docs generate, published to plugins.dbt.docs_destination",
    "deps": "dbt deps: install the dbt project's packages",
    "compile": "dbt compile: render the models' SQL (and write manifest.json)",
    "parse": "dbt parse: write manifest.json (what options.expand reads)",
}


def _validate(ctx: Any) -> Iterator[Any]:
    from dop_dbt.tasks import validate

    return validate(ctx)


def _build(build: Any) -> Any:
    from dop_dbt.tasks import build as build_task

    return build_task(build)


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [TaskType(action="dbt", target=target, options="dop_dbt.options:DbtOptions", build=_build,
                     validate=_validate, sql_file="none", description=description)
            for target, description in DESCRIPTIONS.items()]


@hookimpl
def dop_doctor(project: Any) -> list[Any]:
    from dop_dbt.doctor import checks

    return checks(project)
