"""DAG params overridable by Airflow Variables ``<dag_id>.<key>``, resolved when a task runs.

Precedence: a key given in the run's conf, then the Variable, then the value in ``config.yaml``.
Airflow validates the run's conf against each param's schema before the run starts; a Variable is read
here, after that validation, so DOP validates it against the same schema (:mod:`dop_core.config.params`) and
fails the task, naming the Variable, if it does not fit. Resolving at run time (not at parse time)
keeps DAG parsing free of database calls.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Any

from dop_core.errors import DopError

log = logging.getLogger(__name__)


class ParamValueError(DopError):
    """A value given for a DAG param does not fit the param's type."""


def variable_overrides(dag_id: str, keys: tuple[str, ...], conf: dict[str, Any] | None) -> dict[str, str]:
    """The text of each Variable ``<dag_id>.<key>`` that is set (keys the run's conf gives are skipped)."""
    if not keys:
        return {}
    from airflow.sdk import Variable

    found: dict[str, str] = {}
    for key in keys:
        if conf and key in conf:
            continue
        try:
            value = Variable.get(f"{dag_id}.{key}", default=None)
        except Exception as exc:  # no Variable backend (e.g. `dop compile`): keep the config value
            log.debug("cannot read Variable %s.%s: %s", dag_id, key, exc)
            continue
        if value is not None:
            found[key] = value
    return found


def variable_value(dag_id: str, key: str, text: str, schema: dict[str, Any]) -> Any:
    """The value a Variable's ``text`` gives param ``key``: its JSON value (``35`` is a number) or the text
    itself, whichever fits the param's schema; ParamValueError when neither does."""
    from dop_core.config.params import schema_error

    candidates: list[Any] = []
    with contextlib.suppress(TypeError, ValueError):
        candidates.append(json.loads(text))
    candidates.append(text)
    errors = []
    for value in candidates:
        error = schema_error(schema, value)
        if error is None:
            if schema.get("type") == "integer" and isinstance(value, float):
                value = int(value)  # 7.0 is an integer to JSON schema; it renders as 7
            return value
        errors.append(error)
    raise _refused(dag_id, key, f"the Airflow Variable {dag_id}.{key} holds", text, schema, errors[0],
                   "the task did not run. Set the Variable to a valid value, or delete it to use the value in "
                   "config.yaml")


def check_run_conf(dag: Any, conf: dict[str, Any], source: str) -> None:
    """Refuse, in DOP's words, a run ``conf`` (given by ``source``, e.g. ``--conf``) holding a value that does
    not fit its param: Airflow would refuse to create the run, with a traceback."""
    from dop_core.config.params import schema_error

    for key, value in conf.items():
        schema = _schema(dag, key)
        error = schema_error(schema, value) if schema else None
        if error is not None:
            raise _refused(dag.dag_id, key, f"{source} gives", value, schema, error,
                           "the run was not started; give a valid value")


def _refused(dag_id: str, key: str, where: str, value: Any, schema: dict[str, Any], error: str,
             outcome: str) -> ParamValueError:
    from dop_core.config.params import describe

    shown = repr(value)
    shown = shown if len(shown) <= 200 else shown[:200] + "..."
    return ParamValueError(f"param {key!r} of DAG {dag_id}: {where} {shown}, which is not {describe(schema)} "
                           f"({error}); {outcome}")


class VariableParamsMixin:
    """Mixed into every operator DOP builds: applies Variable overrides to ``params`` before rendering,
    and adds the original DOP's template names (``params.params``, ``params.task``...)."""

    dop_param_keys: tuple[str, ...] = ()

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from dop_core.jinja.original import with_original_names

        fill_dates(context)
        apply_overrides(self, context)
        super().render_template_fields(with_original_names(context, self), jinja_env)  # type: ignore[misc]


def apply_overrides(task: Any, context: Any) -> None:
    keys = getattr(task, "dop_param_keys", ())
    if not keys or context.get("_dop_params_applied"):
        return
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    overrides = variable_overrides(task.dag_id, keys, conf)
    params = context.get("params")
    dag = context.get("dag") or task.dag
    for key, text in overrides.items():
        value = variable_value(task.dag_id, key, text, _schema(dag, key))
        log.info("param %s = %r (from Airflow Variable %s.%s)", key, value, task.dag_id, key)
        params[key] = value
    context["_dop_params_applied"] = True


def _schema(dag: Any, key: str) -> dict[str, Any]:
    try:
        return dict(dag.params.get_param(key).schema)
    except (AttributeError, KeyError):  # a param the DAG does not declare: nothing to check against
        return {}


def fill_dates(context: Any) -> None:
    """Runs triggered by an asset have no logical date on Airflow 3, so ``{{ ds }}`` is undefined there.
    DOP's SQL is written against ``ds``: take the dates from the run's ``run_after`` instead."""
    if context.get("logical_date") is not None and context.get("ds"):
        return
    dag_run = context.get("dag_run")
    moment = getattr(dag_run, "run_after", None)
    if moment is None:
        return
    context.setdefault("logical_date", moment)
    context["ds"] = moment.strftime("%Y-%m-%d")
    context["ds_nodash"] = moment.strftime("%Y%m%d")
    context["ts"] = moment.isoformat()
    context["ts_nodash"] = moment.strftime("%Y%m%dT%H%M%S")


_SUBCLASSES: dict[type, type] = {}


def with_variable_params(cls: type) -> type:
    """``cls`` with :class:`VariableParamsMixin` mixed in (cached), for operators DOP did not write."""
    if issubclass(cls, VariableParamsMixin):
        return cls
    if cls not in _SUBCLASSES:
        sub = type(cls.__name__, (VariableParamsMixin, cls), {"__module__": cls.__module__,
                                                              "__qualname__": cls.__qualname__})
        # Airflow's metaclass wrapped the inherited __init__ once more in its apply_defaults (which deep-copies
        # the DAG's params on every call): keep the class's own, already wrapped, __init__.
        sub.__init__ = cls.__init__  # type: ignore[misc]
        _SUBCLASSES[cls] = sub
    return _SUBCLASSES[cls]
