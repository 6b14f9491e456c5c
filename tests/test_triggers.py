"""Triggers: what DAGs and tasks wait for. Built DAGs are checked task by task; slow tests run them in Airflow."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import threading
import time

import attrs
import pytest

from dop_core import hookimpl
from dop_core.contract.records import TriggerType
from dop_core.errors import ConfigError
from dop_core.testing import clean_env, run_dop

UPSTREAM = """\
schedule_interval: "@daily"
schema: raw
tasks:
  - identifier: raw_schema
    kind: {action: materialization, target: schema}
  - identifier: load
    kind: {action: materialization, target: table}
    dependencies: [raw_schema]
"""


def error_of(factory, name: str = "down") -> ConfigError:
    from dop_core.build.dags import build_one

    with pytest.raises(ConfigError) as info:
        build_one(factory.project(), name)
    return info.value


def build(factory, name: str = "down"):
    from dop_core.build.dags import build_one

    return build_one(factory.project(), name)


def downstream(triggers: str, task_triggers: str = "") -> str:
    return "schema: out\ntriggers:\n" + textwrap.indent(textwrap.dedent(triggers), "  ") + textwrap.dedent("""\
        tasks:
          - identifier: first
            kind: {action: materialization, target: table}
          - identifier: second
            kind: {action: materialization, target: table}
            dependencies: [first]
        """) + textwrap.indent(textwrap.dedent(task_triggers), "    ")


@pytest.fixture
def project(dop_project):
    dop_project.dag("up", UPSTREAM, sql={"load": "SELECT 1 AS id"})
    return dop_project


def add_down(project, triggers: str, task_triggers: str = "", files: dict[str, str] | None = None):
    return project.dag("down", downstream(triggers, task_triggers),
                       sql={"first": "SELECT 1 AS x", "second": "SELECT 2 AS x"}, files=files)


# --- external_task ----------------------------------------------------------------------------------------

def test_external_task_builds_the_standard_sensor_with_a_delta(project):
    from airflow.providers.standard.sensors.external_task import ExternalTaskSensor

    add_down(project, "- kind: external_task\n  options: {dag: up, task: load, delta: 5m, poke_interval: 30s}\n")
    dag = build(project)
    wait = dag.get_task("wait_for_external_task")
    assert isinstance(wait, ExternalTaskSensor)
    assert wait.external_dag_id == "dop__up"
    assert wait.external_task_id == "load"
    assert wait.execution_delta == dt.timedelta(minutes=5)
    assert (wait.poke_interval, wait.timeout, wait.mode, wait.soft_fail) == (30, 6 * 3600, "reschedule", False)
    assert wait.allowed_states == ["success"] and wait.failed_states == ["failed"]
    # upstream of the DAG's root task only
    assert wait.downstream_task_ids == {"first"}
    assert dag.get_task("second").upstream_task_ids == {"first"}


@pytest.mark.parametrize(("options", "dag_id"), [
    ("{dag: up}", "dop__up"),
    ("{dag: dop__up}", "dop__up"),
    ("{dag: legacy_ingest, external: true}", "legacy_ingest"),
    ("{dag: dop__other_project_dag, external: true}", "dop__other_project_dag"),
])
def test_external_dag_id_rule(project, options, dag_id):
    add_down(project, f"- kind: external_task\n  options: {options}\n")
    wait = build(project).get_task("wait_for_external_task")
    assert wait.external_dag_id == dag_id
    assert wait.external_task_id is None and wait.execution_delta is None


def test_external_task_names_unknown_dags_and_tasks_with_their_line(project):
    add_down(project, "- kind: external_task\n  options: {dag: upp}\n"
                      "- kind: external_task\n  options: {dag: up, task: lod}\n")
    err = str(error_of(project))
    assert "down/config.yaml:4:20: error: no DOP DAG 'upp' in this project" in err
    assert "did you mean 'up'?" in err
    assert "down/config.yaml:6:30: error: DAG 'up' has no task 'lod'" in err
    assert "did you mean 'load'?" in err


def test_external_task_states_are_checked(project):
    add_down(project, "- kind: external_task\n  options: {dag: up, allowed_states: [success, skiped]}\n"
                      "- kind: external_task\n  options: {dag: up, task: load, allowed_states: [success, failed]}\n"
                      "- kind: external_task\n  options: {dag: up, failed_states: [upstream_failed]}\n")
    err = str(error_of(project))
    assert "down/config.yaml:4:50: error: 'skiped' is not a state of a DAG run (no `task` given)" in err
    # failed_states defaults to [failed]: the clash is shown where it was written
    assert "down/config.yaml:6:52: error: failed is both an allowed and a failed state" in err
    assert "down/config.yaml:8:40: error: 'upstream_failed' is not a state of a DAG run" in err


def test_external_task_waiting_for_its_own_run_needs_a_delta(project):
    add_down(project, "- kind: external_task\n  options: {dag: down}\n")
    assert "waits for its own DAG run" in str(error_of(project))
    add_down(project, "- kind: external_task\n  options: {dag: down, delta: 1d}\n")
    assert build(project).get_task("wait_for_external_task").execution_delta == dt.timedelta(days=1)


ORIGINAL_SENSOR = """\
tasks:
  - identifier: wait_for_upstream
    kind:
      action: airflow_operator
      target: airflow.sensors.external_task_sensor.ExternalTaskSensor
    options:
      arguments:
        external_dag_id: dop__up
        external_task_id: load
        execution_delta: !!python/object/apply:datetime.timedelta [0, 300]
        mode: reschedule
"""


def test_original_timedelta_tag_is_refused_and_a_trigger_says_the_same_safely(project):
    project.dag("down", ORIGINAL_SENSOR)
    err = error_of(project)
    assert err.location.line == 10 and err.location.column == 26
    assert "'!!python/object/apply:datetime.timedelta' is not allowed" in str(err)
    assert "fix: write `execution_delta: 5m`" in str(err)  # the exact safe spelling, from the tag's arguments
    # the same wait as a trigger, with a duration string
    add_down(project, "- identifier: wait_for_upstream\n  kind: external_task\n"
                      "  options: {dag: up, task: load, delta: 5m}\n")
    wait = build(project).get_task("wait_for_upstream")
    assert (wait.external_dag_id, wait.external_task_id, wait.execution_delta, wait.mode) == (
        "dop__up", "load", dt.timedelta(seconds=300), "reschedule")
    # and the airflow_operator form works with the duration string too
    project.dag("down", ORIGINAL_SENSOR.replace("!!python/object/apply:datetime.timedelta [0, 300]", "5m"))
    legacy = build(project).get_task("wait_for_upstream")
    assert legacy.execution_delta == dt.timedelta(minutes=5) and legacy.external_dag_id == "dop__up"


# --- sql and file -----------------------------------------------------------------------------------------

def test_sql_trigger_from_a_file_or_inline(project):
    from dop_core.builtin.triggers.operators import DopSqlSensor

    add_down(project, "- identifier: rows_landed\n  kind: sql\n"
                      "- kind: sql\n  options: {sql: \"SELECT count(*) FROM raw.load\", mode: poke}\n",
             files={"sql/rows_landed.sql": "SELECT count(*) > 0 AS success, 'rows for {{ ds }}' AS description\n"
                                           "FROM raw.events WHERE day = '{{ ds }}'\n"})
    dag = build(project)
    landed, inline = dag.get_task("rows_landed"), dag.get_task("wait_for_sql")
    assert isinstance(landed, DopSqlSensor) and isinstance(inline, DopSqlSensor)
    assert landed.sql == "sql/rows_landed.sql" and landed.sql_file == "sql/rows_landed.sql"
    assert inline.sql == "SELECT count(*) FROM raw.load" and inline.mode == "poke"
    assert landed.target.name == "local"
    assert landed.downstream_task_ids == inline.downstream_task_ids == {"first"}


def test_sql_trigger_needs_exactly_one_condition(project):
    add_down(project, "- kind: sql\n- identifier: nothing_here\n  kind: sql\n")
    err = str(error_of(project))
    assert "down/config.yaml:3:11: error: this sql trigger has no condition" in err
    assert "down/config.yaml:4:17: error: this sql trigger has no condition: the file sql/nothing_here.sql" in err
    add_down(project, "- identifier: twice\n  kind: sql\n  options: {sql: SELECT 1}\n",
             files={"sql/twice.sql": "SELECT 1"})
    assert "the condition is given twice" in str(error_of(project))


@pytest.mark.parametrize(("columns", "rows", "met"), [
    (["success", "description"], [(True, "a"), (True, "b")], True),
    (["success", "description"], [(True, "a"), (False, "b")], False),
    (["success", "description"], [], False),  # unlike an assertion: no rows means "not yet"
    (["count_star()"], [(3,)], True),
    (["count_star()"], [(0,)], False),
    (["ready"], [(True,)], True),
    (["ready"], [(None,)], False),
    (["ready"], [], False),
])
def test_sql_condition_shapes(columns, rows, met):
    from dop_core.builtin.triggers.operators import sql_condition

    assert sql_condition(columns, rows, "t")[0] is met


def test_sql_condition_refuses_other_shapes():
    from dop_core.builtin.triggers.operators import sql_condition
    from dop_core.errors import EngineError

    with pytest.raises(EngineError, match="either the columns success and description, or a single column"):
        sql_condition(["a", "b"], [(1, 2)], "t")


def test_file_trigger_paths(project):
    from dop_core.builtin.triggers.operators import DopFileSensor

    add_down(project, "- kind: file\n  options: {path: 'landing/{{ ds }}/*.csv', poke_interval: 10s}\n"
                      "- kind: file\n  options: {path: 'gs://my-bucket/in/{{ ds_nodash }}.json'}\n"
                      "- kind: file\n  options: {path: /srv/drop/ready.flag, timeout: 1h}\n",
             task_triggers="triggers:\n  - identifier: second_input\n    kind: file\n"
                           "    options: {path: data/second.csv}\n")
    dag = build(project)
    first, url, absolute = (dag.get_task(f"wait_for_file_{n}") for n in (1, 2, 3))
    assert all(isinstance(t, DopFileSensor) for t in (first, url, absolute))
    assert first.filepath == str(project.root / "landing/{{ ds }}/*.csv")
    assert first.poke_interval == 10
    assert url.filepath == "gs://my-bucket/in/{{ ds_nodash }}.json"
    assert absolute.filepath == "/srv/drop/ready.flag" and absolute.timeout == 3600
    # a task's own trigger waits before that task only
    second_input = dag.get_task("second_input")
    assert second_input.downstream_task_ids == {"second"}
    assert dag.get_task("second").upstream_task_ids == {"first", "second_input"}


def test_file_sensor_pokes_globs_and_returns_what_it_found(tmp_path):
    from airflow.sdk import PokeReturnValue

    from dop_core.builtin.triggers.operators import DopFileSensor

    sensor = DopFileSensor(task_id="w", filepath=str(tmp_path / "in" / "*.csv"))
    assert sensor.poke({}).is_done is False
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("x\n")
    found = sensor.poke({})
    assert isinstance(found, PokeReturnValue) and found.is_done
    assert found.xcom_value == [str(tmp_path / "in" / "a.csv")]
    memory = DopFileSensor(task_id="m", filepath="memory://landing/ready.flag")
    assert not memory.poke({}).is_done
    import fsspec

    fsspec.filesystem("memory").pipe("/landing/ready.flag", b"1")
    assert memory.poke({}).xcom_value == ["memory:///landing/ready.flag"]


def test_file_trigger_unknown_url_scheme(project):
    add_down(project, "- kind: file\n  options: {path: 'gz3://bucket/x'}\n")
    err = str(error_of(project))
    assert "down/config.yaml:4:21: error: fsspec knows no file system 'gz3'://" in err


# --- gcs_object and bigquery_table -------------------------------------------------------------------------

BIGQUERY_PROJECT = """\
name: test_project
targets:
  local: {engine: duckdb}
  prod: {engine: bigquery, project: my-gcp-project, gcp_conn_id: gcp_prod,
         impersonation_chain: dop-runner@my-gcp-project.iam.gserviceaccount.com}
"""

GOOGLE_TRIGGERS = """\
- kind: gcs_object
  options: {bucket: my-landing, object: 'exports/{{ ds }}/*.csv', poke_interval: 5m}
- kind: bigquery_table
  options: {table: other-project.sales.orders, partition: '{{ ds_nodash }}'}
- identifier: wait_for_events
  kind: bigquery_table
  options: {table: tracking.events, deferrable: false, gcp_conn_id: gcp_tracking}
"""


def test_google_triggers_build_lazy_sensors_with_the_target_defaults(dop_project):
    from dop_core.build.dags import build_one
    from dop_core.builtin.triggers.operators import DopBigQueryTableSensor, DopGcsObjectSensor

    dop_project.write("dop_project.yml", BIGQUERY_PROJECT)
    dop_project.dag("down", downstream(GOOGLE_TRIGGERS), sql={"first": "SELECT 1 AS x", "second": "SELECT 2 AS x"})
    dag = build_one(dop_project.project(), "down", "prod")
    gcs, orders, events = (dag.get_task(t) for t in ("wait_for_gcs_object", "wait_for_bigquery_table",
                                                     "wait_for_events"))
    assert isinstance(gcs, DopGcsObjectSensor)
    assert (gcs.bucket, gcs.object, gcs.use_glob, gcs.deferrable, gcs.poke_interval) == (
        "my-landing", "exports/{{ ds }}/*.csv", True, True, 300)
    assert (gcs.gcp_conn_id, gcs.impersonation_chain) == (
        "gcp_prod", "dop-runner@my-gcp-project.iam.gserviceaccount.com")
    assert isinstance(orders, DopBigQueryTableSensor)
    assert (orders.project_id, orders.dataset_id, orders.table_id, orders.partition_id, orders.deferrable) == (
        "other-project", "sales", "orders", "{{ ds_nodash }}", True)
    assert (events.project_id, events.dataset_id, events.table_id, events.partition_id) == (
        "my-gcp-project", "tracking", "events", None)
    assert (events.deferrable, events.gcp_conn_id) == (False, "gcp_tracking")
    # on the local target there is no GCP project to default to: the table must name one to run
    local = build_one(dop_project.project(), "down", "local").get_task("wait_for_events")
    assert local.project_id is None and local.gcp_conn_id == "gcp_tracking"


def test_google_sensors_hand_over_to_the_providers_classes(dop_project):
    """What runs in the task: the provider's sensor and trigger, with DOP's arguments.

    Nothing here talks to Google (no cloud account in tests): only the objects are built.
    """
    from dop_core.build.dags import build_one

    dop_project.write("dop_project.yml", BIGQUERY_PROJECT)
    dop_project.dag("down", downstream(GOOGLE_TRIGGERS), sql={"first": "SELECT 1 AS x", "second": "SELECT 2 AS x"})
    dag = build_one(dop_project.project(), "down", "prod")
    gcs = dag.get_task("wait_for_gcs_object")
    sensor = gcs.provider_sensor()
    assert type(sensor).__name__ == "GCSObjectExistenceSensor"
    assert (sensor.bucket, sensor.object, sensor.use_glob, sensor.google_cloud_conn_id, sensor.deferrable) == (
        "my-landing", "exports/{{ ds }}/*.csv", True, "gcp_prod", True)
    trigger = gcs.provider_trigger(sensor)
    assert type(trigger).__name__ == "GCSBlobTrigger"
    assert trigger.serialize()[1]["bucket"] == "my-landing" and trigger.serialize()[1]["poke_interval"] == 300
    orders = dag.get_task("wait_for_bigquery_table")
    sensor = orders.provider_sensor()
    assert type(sensor).__name__ == "BigQueryTablePartitionExistenceSensor"
    assert (sensor.project_id, sensor.dataset_id, sensor.table_id, sensor.partition_id) == (
        "other-project", "sales", "orders", "{{ ds_nodash }}")
    assert type(orders.provider_trigger(sensor)).__name__ == "BigQueryTablePartitionExistenceTrigger"
    events = dag.get_task("wait_for_events").provider_sensor()
    assert type(events).__name__ == "BigQueryTableExistenceSensor" and events.gcp_conn_id == "gcp_tracking"


@pytest.mark.parametrize(("trigger", "where", "message"), [
    ("{kind: gcs_object, options: {bucket: 'gs://my-landing/x', object: a.csv}}", "3:42",
     "write the bucket name alone, without gs:// (e.g. 'my-landing')"),
    ("{kind: gcs_object, options: {bucket: My_Bucket, object: a.csv}}", "3:42", "'My_Bucket' is not a GCS bucket"),
    ("{kind: gcs_object, options: {bucket: ok-bucket, object: /a.csv}}", "3:61", "'/a.csv' is not an object name"),
    ("{kind: gcs_object, options: {object: a.csv}}", "3:33", "missing required key 'bucket'"),
    ("{kind: bigquery_table, options: {table: orders}}", "3:45", "write project.dataset.table or dataset.table"),
    ("{kind: bigquery_table, options: {table: a.b.c.d}}", "3:45", "'a.b.c.d' is not a BigQuery table"),
    ("{kind: bigquery_table, options: {table: 'sales.or ders'}}", "3:45", "'or ders' is not a BigQuery table name"),
    ("{kind: bigquery_table, options: {table: Bad_Project.sales.orders}}", "3:45", "is not a GCP project id"),
    ("{kind: bigquery_table, options: {table: s.t, partition: '2024-01-31'}}", "3:61",
     "'2024-01-31' is not a BigQuery partition id"),
])
def test_google_trigger_options_are_checked(project, trigger, where, message):
    add_down(project, f"- {trigger}\n")
    err = str(error_of(project))
    assert f"down/config.yaml:{where}: error:" in err and message in err


def test_parsing_google_triggers_imports_no_google_cloud(dop_project):
    dop_project.write("dop_project.yml", BIGQUERY_PROJECT)
    dop_project.dag("down", downstream(GOOGLE_TRIGGERS), sql={"first": "SELECT 1 AS x", "second": "SELECT 2 AS x"})
    code = textwrap.dedent(f"""
        import json, sys
        from dop_core.build.dags import build_dags
        dags = build_dags({str(dop_project.root)!r}, "prod")
        tasks = sorted(dags["dop__down"].task_ids)
        # (the bare namespace package google.cloud is found by Airflow's provider discovery; no code runs)
        heavy = sorted(m for m in sys.modules if m.startswith(("google.cloud.", "google.api_core", "duckdb")))
        print(json.dumps({{"tasks": tasks, "heavy": heavy}}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert "wait_for_gcs_object" in result["tasks"] and "wait_for_events" in result["tasks"]
    assert result["heavy"] == []


# --- common options, errors, plugins -----------------------------------------------------------------------

def test_wait_options_defaults_and_durations(project):
    add_down(project, "- kind: file\n  options: {path: a}\n"
                      "- kind: file\n  options: {path: b, poke_interval: 30s, timeout: 2h, mode: poke, "
                      "soft_fail: true}\n")
    dag = build(project)
    default, custom = dag.get_task("wait_for_file_1"), dag.get_task("wait_for_file_2")
    assert (default.poke_interval, default.timeout, default.mode, default.soft_fail) == (60, 21600, "reschedule",
                                                                                         False)
    assert (custom.poke_interval, custom.timeout, custom.mode, custom.soft_fail) == (30, 7200, "poke", True)


def test_invalid_trigger_configs_point_at_file_line_column(project):
    add_down(project, "- kind: extrenal_task\n  options: {dag: up}\n"
                      "- kind: file\n  options: {path: a, poke_interval: 5 minutes}\n"
                      "- kind: file\n  options: {poke_interval: 5m}\n"
                      "- kind: file\n  options: {path: a, mode: sleep}\n"
                      "- kind: sql\n  options: {sql: SELECT 1, timeout: 10s, poke_interval: 1m}\n")
    err = str(error_of(project))
    assert "down/config.yaml:3:11: error: unknown trigger 'extrenal_task'" in err
    assert "did you mean 'external_task'?" in err
    assert "down/config.yaml:6:39: error: '5 minutes' is not a duration" in err
    assert "expected: a duration from 1s to 366d, such as '30s', '5m'" in err
    assert "down/config.yaml:8:14: error: missing required key 'path'" in err
    assert "down/config.yaml:10:30: error: 'sleep' is not allowed here" in err
    assert "down/config.yaml:12:39: error: timeout (10s) is shorter than poke_interval (1m)" in err


@attrs.frozen(kw_only=True)
class QueueOptions:
    queue: str
    min_messages: int = 1


class QueuePlugin:
    """A third-party trigger kind, as a plugin would ship it."""

    @staticmethod
    def build(build):
        from airflow.providers.standard.sensors.time_delta import TimeDeltaSensor

        return TimeDeltaSensor(task_id=build.task_id, delta=dt.timedelta(seconds=build.options.min_messages))

    @staticmethod
    def validate(ctx):
        if not ctx.options.queue.startswith("projects/"):
            yield ctx.problem(("options", "queue"), "not a queue path", "projects/<p>/subscriptions/<s>")

    @hookimpl
    def dop_trigger_types(self):
        return [TriggerType(kind="queue_message", options=QueueOptions, build=self.build, validate=self.validate)]


def test_plugin_trigger_kinds_validate_and_build(project, register_plugin):
    registry = register_plugin(QueuePlugin(), name="dop-queue")
    assert registry.trigger_types["queue_message"].provider == "dop-queue"
    add_down(project, "- kind: queue_message\n  options: {queue: my-queue, min_msgs: 2}\n")
    err = str(error_of(project))
    assert "down/config.yaml:4:32: error: unknown key 'min_msgs'" in err and "did you mean 'min_messages'?" in err
    add_down(project, "- kind: queue_message\n  options: {queue: my-queue}\n")
    assert "down/config.yaml:4:22: error: not a queue path" in str(error_of(project))
    add_down(project, "- kind: queue_message\n  options: {queue: projects/p/subscriptions/s, min_messages: 3}\n")
    wait = build(project).get_task("wait_for_queue_message")
    assert wait.delta == dt.timedelta(seconds=3) and wait.downstream_task_ids == {"first"}


def test_dop_plugins_lists_trigger_kinds_of_an_installed_plugin(tmp_path):
    site = tmp_path / "site"
    (site / "dop_queue").mkdir(parents=True)
    (site / "dop_queue" / "__init__.py").write_text(textwrap.dedent("""
        import attrs
        from dop_core import TriggerType, hookimpl

        @attrs.frozen
        class Options:
            queue: str

        @hookimpl
        def dop_trigger_types():
            return [TriggerType(kind="queue_message", options=Options, build=lambda b: None)]
    """))
    dist = site / "dop_queue-0.3.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: dop-queue\nVersion: 0.3.0\n")
    (dist / "entry_points.txt").write_text("[dop]\nqueue = dop_queue\n")
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    out = run_dop("plugins", env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "queue  (dop-queue 0.3.0)\n  trigger_types:queue_message" in out.stdout
    for kind in ("external_task", "sql", "file", "gcs_object", "bigquery_table"):
        assert f"  trigger_types:{kind}\n" in out.stdout


# --- end to end, in Airflow ---------------------------------------------------------------------------------

class Running:
    """`dop ARGS` running in the background; its output lines are collected by a thread."""

    def __init__(self, *args: str, cwd: pathlib.Path):
        env = clean_env()
        self.proc = subprocess.Popen([sys.executable, "-m", "dop_core.cli.main", *args], cwd=cwd, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1,
                                     start_new_session=True)  # its own process group: `dop run` + its runner
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float = 240) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.stop()

    def stop(self) -> None:
        if self.proc.stdout is not None and self.proc.stdout.closed:
            return
        if self.proc.poll() is None:
            import signal

            os.killpg(self.proc.pid, signal.SIGKILL)  # the group this test started, with the Airflow child
            self.proc.wait()
        self.reader.join(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()

    @property
    def output(self) -> str:
        return "".join(self.lines)


def start_dop(*args: str, cwd: pathlib.Path) -> tuple[Running, list[str]]:
    running = Running(*args, cwd=cwd)
    return running, running.lines


def wait_for_line(proc: Running, lines: list[str], text: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not any(text in line for line in lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.stop()
            pytest.fail(f"{text!r} never appeared; output:\n{''.join(lines)}")
        time.sleep(0.2)


def states(lines: list[str]) -> dict[str, str]:
    """The final task states `dop run` prints: `  <task_id>  <state>` lines."""
    import re

    found = (re.fullmatch(r"  (\w+)\s+(success|failed|skipped|upstream_failed|up_for_retry|None)\n?", line)
             for line in lines)
    return {m.group(1): m.group(2) for m in found if m}


def wait_in_airflow(project, dag_id: str, task_id: str, sql: str, proc: Running, lines: list[str],
                    timeout: float = 240) -> None:
    """Wait until Airflow's metadata DB (the project's .dop/airflow home) shows ``sql`` for the task."""
    import sqlite3

    db = project.root / ".dop" / "airflow" / "airflow.db"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
                if con.execute(sql, (dag_id, task_id)).fetchone():
                    return
        except sqlite3.OperationalError:  # not created yet, or busy
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.stop()
            pytest.fail(f"{task_id} never reached `{sql}`; output:\n{''.join(lines)}")
        time.sleep(0.3)


RENDERED = "SELECT 1 FROM rendered_task_instance_fields WHERE dag_id = ? AND task_id = ?"
RESCHEDULED = "SELECT 1 FROM task_reschedule r JOIN task_instance t ON t.id = r.ti_id WHERE t.dag_id = ? AND t.task_id = ?"


def warehouse(project):
    from dop_core.contract.runtime import connect
    from dop_core.validate.targets import resolve_target

    p = project.project()
    return connect(resolve_target(p))  # takes the warehouse's lock file, waiting while a sensor checks


SQL_WAIT = """\
schema: out
triggers:
  - identifier: events_landed
    kind: sql
    options: {poke_interval: 2s, timeout: 3m, mode: poke}
tasks:
  - identifier: out_schema
    kind: {action: materialization, target: schema}
  - identifier: copied
    kind: {action: materialization, target: table}
    dependencies: [out_schema]
"""


@pytest.mark.slow
def test_sql_trigger_waits_for_another_process_to_insert_the_row(dop_project):
    dop_project.dag("landing", SQL_WAIT, sql={"copied": "SELECT * FROM raw.events WHERE day = '{{ ds }}'"},
                    files={"sql/events_landed.sql": "SELECT count(*) > 0 AS success,\n"
                                                    "       'events of {{ ds }}' AS description\n"
                                                    "FROM raw.events WHERE day = '{{ ds }}'\n"})
    with warehouse(dop_project) as engine:
        engine.execute("CREATE SCHEMA raw")
        engine.execute("CREATE TABLE raw.events (day VARCHAR, n INTEGER)")
        engine.execute("INSERT INTO raw.events VALUES ('2024-03-01', 1)")  # another day: does not count
    proc, lines = start_dop("run", "landing", "--date", "2024-03-02", cwd=dop_project.root)
    try:
        wait_for_line(proc, lines, "-> events_landed")
        # the sensor's fields are rendered right before its first check; then let a few checks find nothing
        wait_in_airflow(dop_project, "dop__landing", "events_landed", RENDERED, proc, lines)
        time.sleep(5)
        assert proc.poll() is None, "".join(lines)
        inserted_at = time.time()
        with warehouse(dop_project) as engine:
            engine.execute("INSERT INTO raw.events VALUES ('2024-03-02', 42)")
        assert proc.wait(timeout=240) == 0, "".join(lines)
    finally:
        proc.stop()  # never leave a run behind when the test fails
    assert time.time() - inserted_at < 120
    with warehouse(dop_project) as engine:
        assert engine.query("SELECT day, n FROM out.copied").rows == [("2024-03-02", 42)]
    log = (dop_project.root / ".dop/logs/runs/dop__landing/2024-03-02.log").read_text()
    assert "sql trigger events_landed: 0 passed, 1 failed" in log, log[-4000:]
    waited, met = log.index("sql trigger events_landed: 0 passed, 1 failed"), log.index("1 passed, 0 failed")
    assert waited < met
    assert states(lines) == {"events_landed": "success", "out_schema": "success", "copied": "success"}


DOWN_E2E = """\
schema: out
triggers:
  - kind: external_task
    options: {dag: up, task: load, poke_interval: 2s, timeout: 2m}
  - kind: file
    options: {path: 'landing/{{ ds }}/*.csv', poke_interval: 2s, timeout: 2m}
tasks:
  - identifier: out_schema
    kind: {action: materialization, target: schema}
  - identifier: report
    kind: {action: materialization, target: table}
    dependencies: [out_schema]
"""


@pytest.mark.slow
def test_external_task_and_file_triggers_run_in_airflow(project):
    project.dag("down", DOWN_E2E, sql={"report": "SELECT id * 10 AS id FROM raw.load"})
    up = run_dop("run", "up", "--date", "2024-05-01", cwd=project.root)
    assert up.returncode == 0, up.stdout + up.stderr
    # the downstream run waits (reschedule mode) until the file lands
    proc, lines = start_dop("run", "down", "--date", "2024-05-01", cwd=project.root)
    try:
        wait_for_line(proc, lines, "-> wait_for_file")
        # reschedule mode (the default): a check that found nothing gives the task back and records a reschedule
        wait_in_airflow(project, "dop__down", "wait_for_file", RESCHEDULED, proc, lines)
        assert proc.poll() is None, "".join(lines)
        landing = project.root / "landing" / "2024-05-01"
        landing.mkdir(parents=True)
        (landing / "orders.csv").write_text("id\n1\n")
        assert proc.wait(timeout=240) == 0, "".join(lines)
    finally:
        proc.stop()  # never leave a run behind when the test fails
    assert states(lines) == {"wait_for_external_task": "success", "wait_for_file": "success",
                             "out_schema": "success", "report": "success"}
    log = (project.root / ".dop/logs/runs/dop__down/2024-05-01.log").read_text()
    assert "not yet" in log and f"found 1: {landing / 'orders.csv'}" in log, log[-4000:]
    with warehouse(project) as engine:
        assert engine.query("SELECT id FROM out.report").rows == [(10,)]
