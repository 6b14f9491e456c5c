"""The operator of native SQL kinds: a :class:`~dop_core.contract.records.TaskType` with a ``run``.

Parse time builds :class:`DopSqlOperator` with plain data (the kind's name, the target, the SQL file);
inside the task it renders the SQL (with ``is_incremental()``), connects to the target's engine and calls
the kind's ``run`` with a :class:`~dop_core.contract.contexts.RunContext`. Every failure names the task,
its kind, its SQL file and the target; a :class:`~dop_core.errors.TaskFailed` (an assertion that failed,
a table whose schema changed) is shown as the kind wrote it.
"""

from __future__ import annotations

import logging
import pathlib
from typing import Any

from airflow.sdk import BaseOperator

from dop_core.config.identifiers import Relation
from dop_core.config.models import Partitioning, Target
from dop_core.contract.contexts import TaskBuild
from dop_core.contract.credentials import HiddenCredentialsMixin
from dop_core.contract.records import TaskType
from dop_core.contract.runtime import ROWS_WRITTEN, connect, full_refresh_of, table_asset, target_secrets
from dop_core.contract.ui import SQL_AS_SENT, sql_as_sent, task_doc
from dop_core.contract.variable_params import VariableParamsMixin
from dop_core.errors import DopError, EngineError, TaskFailed
from dop_core.secrets import redact

log = logging.getLogger(__name__)


class DopSqlMixin(HiddenCredentialsMixin, VariableParamsMixin):
    """Shared by the SQL operator and the assertion sensor: rendering with ``is_incremental()``; credentials
    written in the SQL (an ATTACH URL's password) stay out of Airflow until the SQL runs."""

    # the SQL as written and as sent to the engine (dop_core.contract.ui): the UI's rendered templates
    template_fields: Any = ("sql", SQL_AS_SENT)
    template_ext: Any = (".sql",)
    template_fields_renderers: Any = {"sql": "sql", SQL_AS_SENT: "sql"}

    kind: str
    target: Target
    dialect: str
    sql: str
    relation: Relation | None
    sql_file: str | None
    task_id: str
    doc_md: str | None

    def _waits_for_relation(self) -> bool:
        """Whether ``is_incremental()`` is true only once the task's relation exists (its kind says so)."""
        return False

    def _runs_as_script(self) -> bool:
        """Whether the SQL is bound and translated statement by statement as it runs (its kind says so)."""
        return False

    def _incremental(self, context: Any) -> bool:
        if full_refresh_of(context):
            return False
        if self.relation is None or not self._waits_for_relation():
            return True
        with connect(self.target) as engine:
            return engine.table_exists(self.relation)

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        try:
            incremental = self._incremental(context)
        except Exception as exc:
            raise self._failure(exc) from exc
        context["is_incremental"] = lambda: incremental
        super().render_template_fields(context, jinja_env)
        self.sql_as_sent = sql_as_sent(self.sql, self._runs_as_script(), self.dialect, self.target.engine)

    def _show_in_ui(self, sql_file: str | None, relation: Relation | None = None,
                    partitioning: Partitioning | None = None, options: Any = None,
                    creates_schema: bool = False) -> None:
        """DOP's knowledge in the task's docs (:mod:`dop_core.contract.ui`)."""
        self.doc_md = task_doc(getattr(self, "doc_md", None), self.kind, sql_file, relation, partitioning, options,
                               creates_schema)
        self.sql_as_sent = ""

    def render_template(self, content: Any, context: Any, jinja_env: Any = None, seen_oids: Any = None) -> Any:
        """Airflow's rendering, with a template error reported at its line of the SQL file."""
        try:
            return super().render_template(content, context, jinja_env, seen_oids)  # type: ignore[misc]
        except Exception as exc:
            from dop_core.jinja.render import sql_file_path, template_error

            env = jinja_env or self.get_template_env()  # type: ignore[attr-defined]
            path = sql_file_path(env, self.sql_file) if self.sql_file else f"task {self.task_id}"
            source = content if isinstance(content, str) and not content.endswith(".sql") else None
            raise template_error(exc, path, source, context) from None

    # The attributes the original DOP's operators had, which its SQL templates read as `task.schema`
    # or `task['schema']` (see dop_core.jinja.original).
    dop_task_config: dict[str, Any] | None = None

    @property
    def identifier(self) -> str:
        return self.task_id

    @property
    def schema(self) -> str | None:
        return (self.dop_task_config or {}).get("schema")

    @property
    def database(self) -> str | None:
        return (self.dop_task_config or {}).get("database")

    @property
    def action(self) -> str | None:
        return self.kind.split("/")[0]

    @property
    def arguments(self) -> Any:
        return ((self.dop_task_config or {}).get("options") or {}).get("arguments")

    # OpenLineage (apache-airflow-providers-openlineage, when installed) asks every operator for these
    def get_openlineage_facets_on_start(self) -> Any:
        from dop_core.contract.openlineage import operator_lineage

        return operator_lineage(self)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from dop_core.contract.openlineage import operator_lineage

        return operator_lineage(self)

    def _failure(self, exc: Exception) -> EngineError:
        where = f" ({self.sql_file})" if self.sql_file else ""
        return EngineError(redact(f"task {self.task_id!r} [{self.kind}]{where} failed on target {self.target.name!r} "
                                  f"(engine {self.target.engine}): {type(exc).__name__}: {exc}",
                                  *target_secrets(self.target)))


class DopSqlOperator(DopSqlMixin, BaseOperator):
    """Runs one task of a native SQL kind (``kind``, its ``action/target``) on the chosen target."""

    ui_color = "#d6ecff"

    def __init__(self, *, kind: str, target: Target, dialect: str, sql: str | None = None,
                 relation: Relation | None = None, partitioning: Partitioning | None = None,
                 options: Any = None, sql_file: str | None = None, folder: pathlib.Path | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.target = target
        self.dialect = dialect
        self.sql = sql or ""
        self.relation = relation
        self.partitioning = partitioning
        self.options = options
        self.sql_file = sql_file
        self.folder = folder
        record = self._record()
        self._show_in_ui(sql_file, relation, partitioning, options,
                         creates_schema=not (record.writes or record.function or record.sql))
        self.hide_credentials()

    def _record(self) -> TaskType:
        from dop_core.contract.registry import get_registry

        return get_registry().kind(self.kind)

    def _waits_for_relation(self) -> bool:
        return self._record().incremental

    def _runs_as_script(self) -> bool:
        return self._record().sql in ("script", "expression")

    def execute(self, context: Any) -> Any:
        from dop_core.contract.contexts import RunContext
        from dop_core.contract.registry import get_registry

        try:
            run = get_registry().kind(self.kind).load("run")
            with connect(self.target) as engine:
                outcome = run(RunContext(
                    engine=engine, task_id=self.task_id, kind=self.kind, sql=self.revealed("sql"), dialect=self.dialect,
                    target=self.target, options=self.options, relation=self.relation, partitioning=self.partitioning,
                    full_refresh=full_refresh_of(context), sql_file=self.sql_file, folder=self.folder, log=log))
        except TaskFailed:
            raise
        except DopError as exc:
            if isinstance(exc, EngineError) and str(exc).startswith(f"task {self.task_id!r}"):
                raise
            raise self._failure(exc) from exc
        except Exception as exc:
            raise self._failure(exc) from exc
        except BaseException as exc:  # Airflow's timeout is a BaseException: say which task, then let it be
            if type(exc).__name__ == "AirflowTaskTimeout":
                log.error("task %r [%s] (%s) timed out on target %r after %s", self.task_id, self.kind,
                          self.sql_file, self.target.name, self.execution_timeout)
            raise
        log.info("%s", redact(str(outcome)))
        ti = context.get("ti")
        if ti is not None and isinstance(getattr(outcome, "rows", None), int):  # `dop run`'s results show it
            ti.xcom_push(key=ROWS_WRITTEN, value=outcome.rows)
        return redact(str(outcome))


def build_sql_task(build: TaskBuild, kind: TaskType) -> DopSqlOperator:
    """The operator of one task of native SQL ``kind`` (a record with ``run``): its relation when it names a
    schema, an asset outlet when the kind writes it."""
    relation = build.relation if build.schema else None
    outlets = []
    if kind.writes and relation is not None:
        outlets = [table_asset(build.project, f"{relation.schema}.{relation.name}")]
    sql_file = build.sql_template  # computed once: this runs for every task at every parse
    return DopSqlOperator(
        kind=kind.name, target=build.target, dialect=build.project.dialect, sql=sql_file, relation=relation,
        partitioning=build.task.partitioning, options=build.options, sql_file=sql_file, folder=build.folder,
        outlets=outlets, **build.operator_kwargs())
