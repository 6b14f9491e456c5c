"""The operators of DOP's native SQL task kinds (materialization, assertion, invocation).

Parse time builds these with plain data; ``execute`` connects to the target's engine, imports the
warehouse client, translates the SQL to the engine's dialect and runs the task kind.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import BaseOperator, BaseSensorOperator

from dop_core.errors import DopError, EngineError
from dop_core.identifiers import Relation
from dop_core.operators.credentials import HiddenCredentialsMixin
from dop_core.operators.params import VariableParamsMixin
from dop_core.operators.ui import SQL_AS_SENT, sql_as_sent, task_doc
from dop_core.project import Partitioning, Target
from dop_core.secrets import redact, register_target, target_secrets

log = logging.getLogger(__name__)


def full_refresh_of(context: Any) -> bool:
    """Whether this run is a full refresh: the ``full_refresh`` param (trigger form) or run conf."""
    params = context.get("params") or {}
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    return bool(conf.get("full_refresh", params.get("full_refresh", False)))


def connect(target: Target) -> Any:
    """Open the target's engine (inside a task only); the target's secrets are masked from then on."""
    from dop_core.plugins import get_registry

    register_target(target)
    return get_registry().named("engine", target.engine).connect(target)


class _DopSqlMixin(HiddenCredentialsMixin, VariableParamsMixin):
    """Shared by the SQL operator and the assertion sensor: rendering with ``is_incremental()``; credentials
    written in the SQL (an ATTACH URL's password) stay out of Airflow until the SQL runs."""

    # the SQL as written and as sent to the engine (dop_core.operators.ui): the UI's rendered templates
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

    def _incremental(self, context: Any) -> bool:
        if full_refresh_of(context):
            return False
        if self.kind != "materialization/table" or self.relation is None:
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
        self.sql_as_sent = sql_as_sent(self.sql, self.kind, self.dialect, self.target.engine)

    def _show_in_ui(self, kind: str, sql_file: str | None, relation: Relation | None = None,
                    partitioning: Partitioning | None = None, options: Any = None) -> None:
        """DOP's knowledge in the task's docs (:mod:`dop_core.operators.ui`)."""
        self.doc_md = task_doc(getattr(self, "doc_md", None), kind, sql_file, relation, partitioning, options)
        self.sql_as_sent = ""

    def render_template(self, content: Any, context: Any, jinja_env: Any = None, seen_oids: Any = None) -> Any:
        """Airflow's rendering, with a template error reported at its line of the SQL file."""
        try:
            return super().render_template(content, context, jinja_env, seen_oids)  # type: ignore[misc]
        except Exception as exc:
            from dop_core.templates import sql_file_path, template_error

            env = jinja_env or self.get_template_env()  # type: ignore[attr-defined]
            path = sql_file_path(env, self.sql_file) if self.sql_file else f"task {self.task_id}"
            source = content if isinstance(content, str) and not content.endswith(".sql") else None
            raise template_error(exc, path, source, context) from None

    # The attributes the original DOP's operators had, which its SQL templates read as `task.schema`
    # or `task['schema']` (see dop_core.build.original_context).
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
        from dop_core.lineage.runtime import operator_lineage

        return operator_lineage(self)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        from dop_core.lineage.runtime import operator_lineage

        return operator_lineage(self)

    def _failure(self, exc: Exception) -> EngineError:
        where = f" ({self.sql_file})" if self.sql_file else ""
        return EngineError(redact(f"task {self.task_id!r} [{self.kind}]{where} failed on target {self.target.name!r} "
                                  f"(engine {self.target.engine}): {type(exc).__name__}: {exc}",
                                  *target_secrets(self.target)))


class DopSqlOperator(_DopSqlMixin, BaseOperator):
    """Runs one native SQL task (materialization, assertion, invocation) on the chosen target."""

    ui_color = "#d6ecff"

    def __init__(self, *, kind: str, target: Target, dialect: str, sql: str | None = None,
                 relation: Relation | None = None, partitioning: Partitioning | None = None,
                 options: Any = None, sql_file: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.target = target
        self.dialect = dialect
        self.sql = sql or ""
        self.relation = relation
        self.partitioning = partitioning
        self.options = options
        self.sql_file = sql_file
        self._show_in_ui(kind, sql_file, relation, partitioning, options)
        self.hide_credentials()

    def execute(self, context: Any) -> Any:
        from dop_core.engines import materialize as m

        full_refresh = full_refresh_of(context)
        try:
            with connect(self.target) as engine:
                outcome = self._run(engine, m, full_refresh)
        except (m.AssertionFailed, m.SchemaChanged):
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
        if isinstance(getattr(outcome, "rows", None), int) and context.get("ti") is not None:  # `dop run` shows it
            from dop_core.run_results import ROWS_WRITTEN

            context["ti"].xcom_push(key=ROWS_WRITTEN, value=outcome.rows)
        return redact(str(outcome))

    def _check_options(self) -> None:
        """The options that reach SQL (types, column names) checked again, as ``dop validate`` does."""
        from dop_core.engines.sql import SqlError

        for path, message, expected in self.options.sql_problems(self.dialect):
            raise SqlError(f"options.{'.'.join(str(p) for p in path)}: {message} (expected {expected})")

    def _run(self, engine: Any, m: Any, full_refresh: bool) -> Any:
        from dop_core.engines.sql import check_query

        kind, rel, sql = self.kind, self.relation, self.revealed("sql")
        if kind in ("materialization/seed", "materialization/udf", "materialization/stored_procedure"):
            self._check_options()
        if kind == "materialization/schema":
            assert rel is not None
            engine.create_schema(rel.schema, rel.database)
            return f"schema {rel.schema} is ready"
        if kind == "materialization/seed":
            assert rel is not None
            from dop_core.engines.sql import translate_type

            o = self.options
            columns = {name: translate_type(typ, self.dialect, engine.dialect)
                       for name, typ in (o.columns or {}).items()}
            rows = engine.load_csv(rel, o.path, columns or None, o.delimiter, o.header)
            return m.Outcome("loaded seed into", str(rel), rows)
        if kind in ("materialization/table", "materialization/view"):
            assert rel is not None
            check_query(sql, self.dialect)
            translated = engine.translate(sql, self.dialect)
            if translated != sql:
                log.info("SQL as sent to %s:\n%s", engine.dialect, redact(translated))
            if kind == "materialization/view":
                engine.create_view(rel, translated)
                return m.Outcome("created view", str(rel))
            return m.materialize_table(engine, rel, translated, self.partitioning, full_refresh, self.dialect)
        if kind == "materialization/udf":
            assert rel is not None
            from dop_core.engines.sql import translate_expression

            body = translate_expression(sql.strip().rstrip(";"), self.dialect, engine.dialect, engine.single_catalog)
            return m.create_function(engine, rel, m.as_arguments(self.options.arguments), body, self.options.returns,
                                     self.dialect)
        if kind == "materialization/stored_procedure":
            assert rel is not None
            # not stripped in front: an error in the body names its line of the SQL file
            engine.create_procedure(rel, m.as_arguments(self.options.arguments), sql.rstrip(), self.dialect)
            return m.Outcome("created procedure", str(rel))
        if kind == "assertion/assertion":
            check_query(sql, self.dialect)
            passed, report = m.run_assertion(engine, engine.translate(sql, self.dialect), self.task_id)
            report = redact(report)
            log.info("%s", report)
            if not passed:
                raise m.AssertionFailed(f"{report}\n(task {self.task_id!r}, {self.sql_file})")
            return report.splitlines()[0]
        if kind == "invocation/stored_procedure":
            engine.call(sql, self.dialect)
            return f"ran {self.sql_file}"
        raise EngineError(f"unknown native task kind {kind}")


class DopAssertionSensor(_DopSqlMixin, BaseSensorOperator):
    """Re-runs an assertion (or any SQL condition returning success/description) until it passes."""

    ui_color = "#fff3c4"

    def __init__(self, *, target: Target, dialect: str, sql: str, sql_file: str | None = None,
                 kind: str = "assertion/assertion_sensor", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind = kind
        self.target = target
        self.dialect = dialect
        self.sql = sql
        self.sql_file = sql_file
        self.relation = None
        self._show_in_ui(kind, sql_file)
        self.hide_credentials()

    def poke(self, context: Any) -> bool:
        from dop_core.engines.materialize import run_assertion
        from dop_core.engines.sql import check_query

        try:
            check_query(self.sql, self.dialect)
            with connect(self.target) as engine:
                passed, report = run_assertion(engine, engine.translate(self.revealed("sql"), self.dialect),
                                               self.task_id)
        except DopError:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc
        log.info("%s", redact(report))
        return passed
