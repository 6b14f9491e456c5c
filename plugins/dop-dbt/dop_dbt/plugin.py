"""dop-dbt's hooks: the ``dbt`` task action (entry point ``dbt`` in group ``dop``).

``kind: {action: dbt, target: run|test|build|seed|snapshot|source freshness|docs generate|deps}``.
Light on purpose: every parse of the DAG files imports it. The options model (:mod:`dop_dbt.options`)
and the validator and builder (:mod:`dop_dbt.tasks`) are imported when a dbt task is validated or built.
"""

from __future__ import annotations

from typing import Any

from dop_core import PluginSettings, TaskType, hookimpl

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


@hookimpl
def dop_plugin_settings() -> list[PluginSettings]:
    return [PluginSettings(name="dbt", options="dop_dbt.settings:DbtSettings",
                           validate="dop_dbt.tasks:settings_problems",
                           description="how dop-dbt runs dbt: the managed virtualenv or a command, or pods "
                                       "(plugins.dbt, per target under plugins.dbt.targets)")]


@hookimpl
def dop_task_types() -> list[TaskType]:
    return [TaskType(action="dbt", target=target, options="dop_dbt.options:DbtOptions", build="dop_dbt.tasks:build",
                     validate="dop_dbt.tasks:validate", inputs="dop_dbt.tasks:inputs",
                     validate_covers_build="dop_dbt.tasks:validate_covers_build",
                     sql_file="none", description=description)
            for target, description in DESCRIPTIONS.items()]


@hookimpl
def dop_doctor(project: Any) -> list[Any]:
    from dop_dbt.doctor import checks

    return checks(project)
