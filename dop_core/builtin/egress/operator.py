"""The operator of the core's ``egress`` task action: render, then let the destination export.

Parse time builds it with plain data; ``execute`` looks the destination up in the plugin
registry, builds an :class:`~dop_core.contract.egress.ExportRequest` and logs what went where. Credentials in
the path (``ftp://user:password@host/...``) never reach Airflow: the ``path`` field holds them masked
(the serialized DAG, the rendered fields), the destination gets them in clear, and every log line,
error and XCom value goes through :func:`dop_core.secrets.redact`.
"""

from __future__ import annotations

import logging
import pathlib
from typing import Any

import attrs
from airflow.sdk import BaseOperator

from dop_core.config.identifiers import Relation
from dop_core.config.models import Target
from dop_core.contract.credentials import HiddenCredentialsMixin
from dop_core.contract.egress import ExportRequest, ExportResult, FileFormat
from dop_core.contract.variable_params import VariableParamsMixin
from dop_core.errors import DopError
from dop_core.secrets import option_secrets, redact, register_secrets

log = logging.getLogger(__name__)


class DopEgressOperator(HiddenCredentialsMixin, VariableParamsMixin, BaseOperator):
    """Exports a table (``source``) or the task's SQL result to a destination registered by a plugin."""

    template_fields = ("path", "sql")
    template_ext = (".sql",)
    template_fields_renderers = {"sql": "sql"}
    ui_color = "#e8f5e9"

    def __init__(self, *, destination: str, target: Target, dialect: str, path: str, file_format: FileFormat,
                 destination_options: Any, project_root: pathlib.Path, source: Relation | None = None,
                 sql: str | None = None, overwrite: str = "replace", success_marker: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if (source is None) == (not sql):
            raise ValueError("an egress task exports either a source table or its SQL file's result")
        self.destination = destination
        self.target = target
        self.dialect = dialect
        self.path = path
        self.file_format = file_format
        self.destination_options = destination_options
        self.project_root = project_root
        self.source = source
        self.sql = sql or ""
        self.overwrite = overwrite
        self.success_marker = success_marker
        self.hide_credentials()
        if attrs.has(type(destination_options)):  # e.g. storage_options: {password: ...}
            register_secrets(*option_secrets(attrs.asdict(destination_options)))

    def request(self) -> ExportRequest:
        """The export request of this (rendered) task, credentials in clear."""
        return ExportRequest(
            task_id=self.task_id, target=self.target, dialect=self.dialect, path=self.revealed("path").strip(),
            format=self.file_format, options=self.destination_options, project_root=self.project_root,
            source=self.source, sql=None if self.source is not None else self.revealed("sql"),
            overwrite=self.overwrite, success_marker=self.success_marker,  # type: ignore[arg-type]
            logger=self.log, dag_id=self.dag_id)

    def execute(self, context: Any) -> Any:
        from dop_core.contract.registry import get_registry

        if not str(self.path).strip():
            raise DopError(f"egress task {self.task_id!r}: the path rendered to an empty string")
        egress = get_registry().named("egress", self.destination)
        request = self.request()
        what = str(self.source) if self.source is not None else "the result of its SQL"
        self.log.info("exporting %s as %s to %s (destination %s, target %s)", what, self.file_format,
                      redact(request.path), self.destination, self.target.name)
        try:
            result = egress.load("export")(request)
        except DopError as exc:  # the destination's own message: same error, credentials masked
            exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
            raise
        except Exception as exc:
            raise DopError(redact(f"egress task {self.task_id!r} to {self.destination} {request.path!r} failed: "
                                  f"{type(exc).__name__}: {exc}")) from exc
        if not isinstance(result, ExportResult):
            raise DopError(redact(f"the {self.destination!r} egress destination ({egress.provider}) returned "
                                  f"{result!r}, not an ExportResult"))
        result = attrs.evolve(result, where=redact(result.where), files=tuple(redact(f) for f in result.files))
        self.log.info("%s", result.summary(self.file_format))
        for extra in result.files[1:]:
            self.log.info("also wrote %s", extra)
        return result.xcom()
