"""What the Airflow UI shows of a DOP DAG, set as it is built: each node's kind, each param's description.

- The node: Airflow shows an operator's ``custom_operator_name`` in place of its class name, so a DOP task reads
  ``materialization/table`` rather than ``DopSqlOperator`` (the task id stays the config's identifier).
- The trigger form: a param whose config gives no description gets one naming its config file and default.

A SQL task's docs and its SQL as sent to the engine are the operator's own (:mod:`dop_core.contract.ui`).
"""

from __future__ import annotations

import json
from typing import Any


def param_description(name: str, default: Any, config_file: str) -> str:
    """The trigger form's description of a DAG param whose config gives none."""
    return (f"Param {name} from {config_file} (default: {json.dumps(default, default=str)}); "
            "give it a description there (params.<name>.description).")


def show_kind(node: Any, kind: str) -> None:
    """Label the operator (or each operator of the task group) a config task of ``kind`` became with it on the UI's
    graph; an Airflow operator named by the config (``airflow_operator/...``) and one labelled already keep theirs."""
    if kind.startswith("airflow_operator/"):
        return
    children = getattr(node, "children", None)
    for each in children.values() if isinstance(children, dict) else (node,):
        if isinstance(getattr(each, "children", None), dict):
            show_kind(each, kind)
        elif getattr(each, "custom_operator_name", None) is None:
            each.custom_operator_name = kind
