"""The Airflow operator behind ``{{ cookiecutter.action }}/message``.

This module is imported when DAGs are built (Airflow parses DAG files every few seconds): keep its
top-level imports light. Import client libraries (database drivers, cloud SDKs...) inside
``execute``, which runs in the task only.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator

from dop_core import VariableParamsMixin


class {{ cookiecutter.class_prefix }}MessageOperator(VariableParamsMixin, BaseOperator):
    """Writes a (templated) message to the task log ``repeat`` times and returns it (an XCom)."""

    template_fields = ("text",)
    ui_color = "#e8f4d9"

    def __init__(self, *, text: str, repeat: int = 1, level: str = "info", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.repeat = repeat
        self.level = level

    def execute(self, context: Any) -> str:
        import logging  # stands for the heavy client a real plugin imports here, at run time only

        for _ in range(self.repeat):
            self.log.log(logging.WARNING if self.level == "warning" else logging.INFO, "%s", self.text)
        return self.text
