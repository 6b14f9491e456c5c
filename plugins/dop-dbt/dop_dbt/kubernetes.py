"""dbt in a Kubernetes pod (production on Cloud Composer): ``plugins.dbt.targets.<t>.mode: kubernetes``.

The pod runs the image built from ``docker/Dockerfile`` (dbt, the adapter and the service project).
Its command writes the profile DOP computed (passed in an environment variable: it holds no secret,
the pod authenticates as its Kubernetes service account / Workload Identity, impersonating the dbt
service account), runs dbt with Airflow's context as ``--vars``, and hands ``run_results.json`` and
dbt's exit code back through the pod's XCom file. The operator then records the results like the
local one and fails on a failed model or test.

apache-airflow-providers-cncf-kubernetes is imported only when a task is built in this mode.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

DEFAULT_PROJECT_DIR = "/opt/dop/project"
PROFILES_DIR = "/tmp/dop-dbt-profiles"
XCOM_FILE = "/airflow/xcom/return.json"

def pod_script(command: list[str], project_folder: str, env: dict[str, str] | None = None) -> str:
    """The shell script the pod runs: write the profile, run ``command`` (with ``env`` exported), hand the
    outcome back."""
    return "\n".join([
        "set -u",
        f"mkdir -p {PROFILES_DIR} /airflow/xcom",
        f'printf "%s" "$DOP_DBT_PROFILE" > {PROFILES_DIR}/profiles.yml',
        f"cd {shlex.quote(project_folder)}",
        *(f"export {name}={shlex.quote(value)}" for name, value in (env or {}).items()),
        shlex.join(command),
        "code=$?",
        # hand dbt's outcome back to Airflow; the operator fails the task after recording the results
        "if [ -f target/run_results.json ]; then results=$(cat target/run_results.json); else results=null; fi",
        f'printf \'{{"exit_code": %s, "run_results": %s}}\' "$code" "$results" > {XCOM_FILE}',
        "exit 0",
    ])


def build_pod_operator(**kwargs: Any) -> Any:
    """A KubernetesPodOperator subclass instance running dbt (see the module docstring)."""
    try:
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
    except ImportError as exc:
        raise ImportError("mode: kubernetes needs apache-airflow-providers-cncf-kubernetes "
                          "(pip install 'dop-dbt[kubernetes]')") from exc
    cls = _pod_operator_class(KubernetesPodOperator)
    return cls(**kwargs)


_CLASSES: dict[type, type] = {}


def _pod_operator_class(base: type) -> type:
    if base in _CLASSES:
        return _CLASSES[base]
    from dop_core import VariableParamsMixin

    class DbtPodOperator(VariableParamsMixin, base):
        """dbt in a pod; records run_results.json and fails on a failed node once the pod is done."""

        template_fields: Any = (*getattr(base, "template_fields", ()), "dbt_arguments")

        def __init__(self, *, dop_record: dict[str, Any], dbt_arguments: list[list[Any]], **kw: Any) -> None:
            super().__init__(cmds=["/bin/sh", "-c"], arguments=[], do_xcom_push=True, **kw)
            self.dop_record = dop_record
            self.dbt_arguments = dbt_arguments

        def execute(self, context: Any) -> Any:
            from dop_dbt.operator import _full_refresh, airflow_vars, command_line, run_env

            r = self.dop_record
            folder = f"{r['project_dir_in_image'].rstrip('/')}/{r['project_subdir']}"
            command = command_line("dbt", r["dbt_command"], folder, PROFILES_DIR, r["profile"],
                                   self.dbt_arguments, airflow_vars(context), _full_refresh(context))
            self.arguments = [pod_script(command, folder, run_env(context))]
            outcome = super().execute(context)
            return handle_outcome(outcome, self.dop_record, context, self.task_id)

    _CLASSES[base] = DbtPodOperator
    return DbtPodOperator


def handle_outcome(outcome: Any, record: dict[str, Any], context: Any, task_id: str) -> Any:
    """Record the pod's run results and raise if dbt failed (shared by tests, no Kubernetes needed)."""
    import logging
    import pathlib
    import tempfile

    from dop_dbt import artifacts
    from dop_dbt.operator import DbtFailed

    log = logging.getLogger(__name__)
    if isinstance(outcome, str):
        outcome = json.loads(outcome)
    if not isinstance(outcome, dict) or "exit_code" not in outcome:
        raise DbtFailed(f"the dbt pod of task {task_id!r} returned no outcome ({outcome!r})")
    results = None
    if outcome.get("run_results"):
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "run_results.json"
            path.write_text(json.dumps(outcome["run_results"]))
            results = artifacts.read(path)
        log.info("%s", artifacts.summary(results))
        table = record.get("results_table")
        if table and str(table).lower() != "none":
            from dop_core import connect

            schema, _, name = str(table).rpartition(".")
            with connect(record["dop_target"]) as engine:
                artifacts.append(engine, schema or record["schema"], name, record.get("database"), results,
                                 {"dag_id": getattr(context.get("dag"), "dag_id", None), "task_id": task_id,
                                  "run_id": context.get("run_id"), "ds": context.get("ds"),
                                  "dbt_project": record.get("dbt_project"), "dbt_command": record.get("dbt_command"),
                                  "dop_target": record["dop_target"].name})
    failed = results.failed if results else []
    if outcome["exit_code"] != 0 or failed:
        raise DbtFailed(f"dbt failed in its pod (exit {outcome['exit_code']})"
                        + (": " + ", ".join(n.unique_id for n in failed) if failed else ""))
    return outcome
