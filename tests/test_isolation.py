"""Airflow sees every valid DAG, one clear error per broken config, and survives a broken plugin."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from dop_core.testing import ProjectFactory

PROBE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1], bundle_name="dags-folder")
print(json.dumps({"dags": {d: {"tags": sorted(dag.tags), "doc": dag.doc_md or "", "tasks": dag.task_ids}
                           for d, dag in bag.dags.items()}, "errors": list(bag.import_errors.values())}))
"""

BROKEN_CONFIGS = {
    "bad_yaml": "tasks: [\n",
    "bad_action": "tasks:\n  - identifier: a\n    kind: {action: nope, target: x}\n",
    "python_tag": "tasks:\n  - identifier: a\n    kind: !!python/name:os.system\n",
    "cycle": ("tasks:\n  - identifier: a\n    kind: {action: airflow_operator, target: "
              "airflow.providers.standard.operators.empty.EmptyOperator}\n    dependencies: [a]\n"),
}
EMPTY = ("tasks:\n  - identifier: t{n}\n    kind: {{action: airflow_operator, "
         "target: airflow.providers.standard.operators.empty.EmptyOperator}}\n")


@pytest.mark.slow
def test_valid_dags_survive_broken_configs_and_a_broken_plugin(tmp_path):
    factory = ProjectFactory(tmp_path / "p")
    for n in range(5):
        factory.dag(f"valid_{n}", EMPTY.format(n=n))
    for name, text in BROKEN_CONFIGS.items():
        factory.dag(name, text)
    site = tmp_path / "site"
    (site / "dop_exploding-0.1.dist-info").mkdir(parents=True)
    (site / "dop_exploding-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: dop-exploding\n"
                                                                   "Version: 0.1\n")
    (site / "dop_exploding-0.1.dist-info" / "entry_points.txt").write_text("[dop]\nexploding = dop_exploding\n")
    (site / "dop_exploding.py").write_text("raise ImportError('exploding plugin')\n")
    env = {**os.environ, "PYTHONPATH": str(site), "AIRFLOW_HOME": str(tmp_path / "airflow")}
    env.pop("DOP_STRICT_PLUGINS", None)
    result = subprocess.run([sys.executable, "-c", PROBE, str(factory.root / "dags")], capture_output=True, text=True,
                            env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    bag = json.loads(result.stdout.strip().splitlines()[-1])
    assert bag["errors"] == []
    assert sorted(bag["dags"]) == sorted([f"dop__valid_{n}" for n in range(5)] + [f"dop__{n}" for n in BROKEN_CONFIGS])
    for n in range(5):
        assert bag["dags"][f"dop__valid_{n}"]["tasks"] == [f"t{n}"]
    for name in BROKEN_CONFIGS:
        stand_in = bag["dags"][f"dop__{name}"]
        assert "dop:config-error" in stand_in["tags"] and stand_in["tasks"] == ["config_error"]
        assert f"orchestration/{name}/config.yaml:" in stand_in["doc"]
    assert "plugin 'exploding' (dop-exploding) failed to load" in result.stdout + result.stderr

    strict = subprocess.run([sys.executable, "-c", PROBE, str(factory.root / "dags")], capture_output=True, text=True,
                            env={**env, "DOP_STRICT_PLUGINS": "1"}, timeout=300, check=False)
    assert json.loads(strict.stdout.strip().splitlines()[-1])["dags"] == {}
    (error,) = json.loads(strict.stdout.strip().splitlines()[-1])["errors"]
    assert "exploding plugin" in error


def test_stand_in_dag_task_fails_with_the_error(dop_project):
    dop_project.dag("broken", "tasks:\n  - identifier: a\n    kind: {action: nope, target: x}\n")
    dag = dop_project.build()["dop__broken"]
    task = dag.get_task("config_error")
    with pytest.raises(Exception, match=r"this DAG's configuration is invalid:\n.*config.yaml:3:20: error: unknown "
                                        "action 'nope'"):
        task.python_callable(*task.op_args)


def test_config_folder_names_are_dag_ids(dop_project):
    dop_project.dag("Sales-2024", EMPTY.format(n=1))
    dags = dop_project.build()
    assert list(dags) == ["dop__Sales-2024"]
    assert isinstance(pathlib.Path(dop_project.root), pathlib.Path)
