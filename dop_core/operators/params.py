"""DAG params overridable by Airflow Variables ``<dag_id>.<key>``, resolved when a task runs.

Precedence: a key given in the run's conf, then the Variable, then the value in ``config.yaml``.
Resolving at run time (not at parse time) keeps DAG parsing free of database calls.
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)


def variable_overrides(dag_id: str, keys: tuple[str, ...], conf: dict[str, Any] | None) -> dict[str, Any]:
    if not keys:
        return {}
    from airflow.sdk import Variable

    found: dict[str, Any] = {}
    for key in keys:
        if conf and key in conf:
            continue
        try:
            value = Variable.get(f"{dag_id}.{key}", default=None)
        except Exception as exc:  # no Variable backend (e.g. `dop compile`): keep the config value
            log.debug("cannot read Variable %s.%s: %s", dag_id, key, exc)
            continue
        if value is None:
            continue
        try:
            found[key] = json.loads(value)
        except (TypeError, ValueError):
            found[key] = value
    return found


class VariableParamsMixin:
    """Mixed into every operator DOP builds: applies Variable overrides to ``params`` before rendering,
    and adds the original DOP's template names (``params.params``, ``params.task``...)."""

    dop_param_keys: tuple[str, ...] = ()

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        from dop_core.build.original_context import with_original_names

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
    for key, value in overrides.items():
        log.info("param %s = %r (from Airflow Variable %s.%s)", key, value, task.dag_id, key)
        params[key] = value
    context["_dop_params_applied"] = True


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
