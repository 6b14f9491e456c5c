"""The parse cache of validated configs: unchanged DAGs come from it, anything changed is validated again."""

from __future__ import annotations

import os
import pathlib
import pickle
import stat

import pytest

from dop_core.build.cache import ConfigCache

CONFIG = """\
schema: shop
tasks:
  - identifier: orders
    kind: {action: materialization, target: table}
  - identifier: check_orders
    kind: {action: assertion, target: assertion}
    dependencies: [orders]
  - identifier: notify
    kind: {action: airflow_operator, target: airflow.providers.standard.operators.bash.BashOperator}
    options:
      arguments: {bash_command: "echo done", execution_timeout: 5m}
    dependencies: [check_orders]
"""
SQL = {"orders": "SELECT 1 AS id\n", "check_orders": "SELECT TRUE AS success, 'ok' AS description\n"}


def edges(dag):
    return {(up, t.task_id) for t in dag.tasks for up in t.upstream_task_ids}


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def entry(root: pathlib.Path, name: str) -> pathlib.Path:
    from dop_core.build.cache import default_dir
    from dop_core.config.project import load_project

    return default_dir(load_project(root)) / f"{name}.pickle"


def cache_of(dop_project) -> ConfigCache:
    from dop_core.contract.registry import get_registry
    from dop_core.validate.targets import resolve_target

    project = dop_project.project()
    return ConfigCache(project, get_registry(), resolve_target(project))


@pytest.fixture
def shop(dop_project, monkeypatch):
    monkeypatch.delenv("DOP_PARSE_CACHE", raising=False)
    monkeypatch.delenv("DOP_PARSE_CACHE_DIR", raising=False)
    dop_project.dag("shop", CONFIG, sql=SQL)
    return dop_project


def test_second_build_comes_from_the_cache_and_equals_the_first(shop):
    first = shop.build()["dop__shop"]
    assert entry(shop.root, "shop").is_file()
    cache = cache_of(shop)
    config = cache.validated(shop.root / "orchestration" / "shop")
    assert cache.hits == {"shop"}
    assert [t.identifier for t in config.tasks] == ["orders", "check_orders", "notify"]
    assert config.tasks[2].typed_options.arguments["execution_timeout"] == "5m"
    second = shop.build()["dop__shop"]
    assert edges(second) == edges(first) == {("orders", "check_orders"), ("check_orders", "notify")}
    assert type(second.get_task("notify")).__name__ == "BashOperator"
    assert second.get_task("notify").execution_timeout.total_seconds() == 300
    assert second.get_task("orders").sql == "sql/orders.sql"


def test_an_edited_config_is_never_served_stale(shop):
    shop.build()
    shop.dag("shop", CONFIG.replace("dependencies: [check_orders]", "dependencies: [orders]"))
    dag = shop.build()["dop__shop"]
    assert ("orders", "notify") in edges(dag) and ("check_orders", "notify") not in edges(dag)
    assert cache_of(shop).key(shop.root / "orchestration" / "shop") is not None


def test_a_removed_sql_file_makes_the_cached_dag_report_its_error(shop):
    shop.build()
    (shop.root / "orchestration" / "shop" / "sql" / "orders.sql").unlink()
    dag = shop.build()["dop__shop"]
    assert "dop:config-error" in dag.tags
    assert "sql/orders.sql, which does not exist" in dag.doc_md
    assert "config.yaml:3:" in dag.doc_md  # the location of the task, as without a cache


def test_a_changed_project_file_invalidates_every_entry(shop):
    shop.build()
    cache = cache_of(shop)
    before = cache.key(shop.root / "orchestration" / "shop")
    shop.write("dop_project.yml", (shop.root / "dop_project.yml").read_text() + "\n# edited\n")
    assert cache_of(shop).key(shop.root / "orchestration" / "shop") != before


def test_a_read_only_cache_folder_only_means_no_cache(shop, monkeypatch, tmp_path):
    if os.geteuid() == 0:  # root writes anywhere: point the cache at a path that cannot be a folder
        blocker = tmp_path / "not-a-folder"
        blocker.write_text("a file")
        monkeypatch.setenv("DOP_PARSE_CACHE_DIR", str(blocker / "cache"))
    else:
        (shop.root / ".dop").mkdir(exist_ok=True)
        (shop.root / ".dop").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        for _ in range(2):
            dag = shop.build()["dop__shop"]
            assert "dop:config-error" not in dag.tags and len(dag.tasks) == 3
    finally:
        (shop.root / ".dop").chmod(stat.S_IRWXU) if (shop.root / ".dop").exists() else None
    assert not entry(shop.root, "shop").exists()


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_an_entry_that_would_run_code_is_refused_and_ignored(shop, tmp_path, monkeypatch):
    shop.build()
    monkeypatch.chdir(tmp_path)
    folder = shop.root / "orchestration" / "shop"
    key = cache_of(shop).key(folder)
    path = entry(shop.root, "shop")
    path.write_bytes(b"DOP-DAG-CACHE 1 " + key.encode() + b"\n" + pickle.dumps((_Exploit(), [])))
    dag = shop.build()["dop__shop"]
    assert not (tmp_path / "pwned").exists()
    assert len(dag.tasks) == 3 and "dop:config-error" not in dag.tags
    assert b"pwned" not in path.read_bytes()  # rewritten with the validated config


def test_a_truncated_entry_is_a_miss(shop):
    shop.build()
    path = entry(shop.root, "shop")
    path.write_bytes(path.read_bytes()[:80])
    assert len(shop.build()["dop__shop"].tasks) == 3


def test_an_external_task_trigger_sees_changes_to_the_dag_it_waits_for(shop):
    shop.dag("reports", """\
        schema: shop
        triggers:
          - kind: external_task
            options: {dag: shop, task: orders}
        tasks:
          - identifier: report
            kind: {action: materialization, target: table}
        """, sql={"report": "SELECT 1 AS x\n"})
    assert "dop:config-error" not in shop.build()["dop__reports"].tags
    shop.dag("shop", CONFIG.replace("orders", "orders_v2"), sql={"orders_v2": "SELECT 1 AS id\n"})
    dag = shop.build()["dop__reports"]
    assert "dop:config-error" in dag.tags
    assert "has no task 'orders'" in dag.doc_md


def test_only_builds_one_dag_and_the_cache_can_be_turned_off(shop, monkeypatch):
    shop.dag("other", CONFIG, sql=SQL)
    from dop_core.build.dags import build_dags

    monkeypatch.setenv("DOP_PARSE_CACHE", "0")
    assert list(build_dags(shop.root, only="other")) == ["dop__other"]
    assert list(build_dags(shop.root, only="dop__shop")) == ["dop__shop"]
    from dop_core.build.cache import default_dir

    assert not default_dir(shop.project()).exists()


def test_a_parse_for_one_dag_builds_only_that_dag(shop, monkeypatch):
    """Airflow's parsing context names the DAG a worker (or `dop run`'s runner) parses the file for: a DOP DAG file
    builds that DAG only, in the group file that holds it, and nothing for a DAG that is not DOP's."""
    from dop_core.build.dags import build_dags

    shop.dag("other", CONFIG, sql=SQL)
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "dop__other")
    assert list(build_dags(shop.root)) == ["dop__other"]
    assert sorted(d for i in range(2) for d in build_dags(shop.root, group=i, groups=2)) == ["dop__other"]
    monkeypatch.setenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID", "hand_written")
    assert build_dags(shop.root) == {}
    monkeypatch.delenv("_AIRFLOW_PARSING_CONTEXT_DAG_ID")
    assert sorted(build_dags(shop.root)) == ["dop__other", "dop__shop"]


def test_each_target_has_its_own_entries(shop, monkeypatch):
    shop.write("dop_project.yml", "name: shop\ntargets:\n  local: {engine: duckdb}\n"
               "  other: {engine: duckdb, path: .dop/other.duckdb}\n")
    folder = shop.root / "orchestration" / "shop"
    local = cache_of(shop).key(folder)
    monkeypatch.setenv("DOP_TARGET", "other")
    assert cache_of(shop).key(folder) != local
    assert len(shop.build()["dop__shop"].tasks) == 3


def test_a_warm_parse_reads_no_yaml(tmp_path):
    import json
    import shutil
    import subprocess
    import sys

    retail = pathlib.Path(__file__).parent / "projects" / "retail"
    root = tmp_path / "retail"
    shutil.copytree(retail, root, ignore=shutil.ignore_patterns(".dop"))
    code = ("import json, sys\nfrom dop_core import build_dags\ndags = build_dags(sys.argv[1])\n"
            "print(json.dumps([sorted(dags), sorted(m for m in sys.modules if m.startswith('ruamel'))[:1]]))")
    env = {"PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "cache"), "AIRFLOW_HOME": str(tmp_path / "af"),
           "DOP_DISABLE_PLUGINS": "all"}
    runs = [json.loads(subprocess.run([sys.executable, "-c", code, str(root)], env=env, capture_output=True,
                                      text=True, check=True, timeout=120).stdout.splitlines()[-1])
            for _ in range(2)]
    assert runs[0] == [["dop__daily_sales", "dop__reporting"], ["ruamel"]]  # cold: the YAML is parsed
    assert runs[1] == [["dop__daily_sales", "dop__reporting"], []]  # warm: from the cache, no YAML library


def test_target_secrets_are_never_written_to_the_cache(shop, tmp_path):
    """A password, key or DSN in dop_project.yml stays there: the cache holds neither it nor the project."""
    shop.write("dop_project.yml", "name: shop\ntargets:\n  local: {engine: duckdb}\n"
                                  "  other: {engine: duckdb, password: hunter2x, api_token: DOP-KEY-1234}\n")
    for _ in range(2):
        dag = shop.build()["dop__shop"]
        assert "dop:config-error" not in dag.tags and len(dag.tasks) == 3
    assert entry(shop.root, "shop").is_file()  # the DAG itself is still cached
    cache = tmp_path / "user-cache" / "dop"
    stored = [p for p in cache.rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        data = path.read_bytes()
        assert b"DOP-KEY-1234" not in data and b"hunter2x" not in data, path
    # and what is cached is the user's only
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in stored} == {"0o600"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in [cache, *cache.rglob("*")] if p.is_dir()} == {"0o700"}


class LookupPlugin:
    """A third-party kind whose validation reads a file outside the DAG folder, declared in ``inputs`` (or not)."""

    def __init__(self, inputs: tuple[str, ...] | None):
        self.inputs = inputs
        self.validated: list[str] = []

    def validate(self, ctx):
        self.validated.append(ctx.task.identifier)
        codes = (ctx.project.root / "lookup" / "codes.csv").read_text().split()
        if ctx.task.identifier not in codes:
            yield ctx.problem(("identifier",), f"{ctx.task.identifier!r} is not in lookup/codes.csv")

    @staticmethod
    def build(build):
        from airflow.providers.standard.operators.empty import EmptyOperator

        return EmptyOperator(**build.operator_kwargs())

    @property
    def hooks(self):
        from dop_core import TaskType, hookimpl

        plugin = self

        class Hooks:
            @hookimpl
            def dop_task_types(self):
                return [TaskType(action="lookup", target="check", build=plugin.build, validate=plugin.validate,
                                 inputs=plugin.inputs)]

        return Hooks()


LOOKUP_DAG = "schema: shop\ntasks:\n  - identifier: eu\n    kind: {action: lookup, target: check}\n"


def test_a_plugin_kind_that_declares_its_inputs_is_cached_until_one_changes(shop, register_plugin):
    plugin = LookupPlugin(inputs=("lookup/codes.csv",))
    register_plugin(plugin.hooks, name="lookup")
    shop.write("lookup/codes.csv", "eu\nus\n")
    shop.dag("regions", LOOKUP_DAG)
    assert "dop:config-error" not in shop.build()["dop__regions"].tags
    assert entry(shop.root, "regions").is_file()
    assert "dop:config-error" not in shop.build()["dop__regions"].tags
    assert plugin.validated == ["eu"]  # the second parse came from the cache
    shop.write("lookup/codes.csv", "us\n")  # the declared input changes: validated again, and now wrong
    dag = shop.build()["dop__regions"]
    assert plugin.validated == ["eu", "eu"]
    assert "'eu' is not in lookup/codes.csv" in dag.doc_md


def test_a_plugin_kind_that_does_not_say_what_it_reads_is_never_cached(shop, register_plugin):
    plugin = LookupPlugin(inputs=None)
    register_plugin(plugin.hooks, name="lookup")
    shop.write("lookup/codes.csv", "eu\n")
    shop.dag("regions", LOOKUP_DAG)
    shop.build()
    shop.build()
    assert plugin.validated == ["eu", "eu"]
    assert not entry(shop.root, "regions").exists()
    assert entry(shop.root, "shop").is_file()  # DOP's own kinds all declare theirs


def test_group_files_build_every_dag_once_and_a_group_keeps_its_dags(shop):
    """A project split among K DAG files (``build_dags(__file__, group=i, groups=K)``): each DAG is built by
    exactly one of them, whatever K, and a file's DAGs stay in it from one parse to the next."""
    from dop_core.build.dags import build_dags

    names = [f"dag_{i:02d}" for i in range(12)]
    for name in names:
        shop.dag(name, CONFIG, sql=SQL)
    every = sorted(["dop__shop", *(f"dop__{n}" for n in names)])
    for groups in (1, 2, 5, 13):
        built = [build_dags(shop.root, group=i, groups=groups) for i in range(groups)]
        assert sorted(dag_id for dags in built for dag_id in dags) == every, groups
        assert [sorted(dags) for dags in built] == [sorted(build_dags(shop.root, group=i, groups=groups))
                                                    for i in range(groups)]
    # going from 5 to 6 files moves only some DAGs (to the new file); the others keep their file
    five = {d: i for i in range(5) for d in build_dags(shop.root, group=i, groups=5)}
    six = {d: i for i in range(6) for d in build_dags(shop.root, group=i, groups=6)}
    assert all(six[d] in (five[d], 5) for d in every) and sum(six[d] != five[d] for d in every) < len(every) / 2


def test_a_broken_config_only_breaks_its_own_dag_in_a_group(shop):
    from dop_core.build.dags import build_dags, dag_group

    mate = next(name for name in (f"mate_{i}" for i in range(99)) if dag_group(name, 3) == dag_group("shop", 3))
    shop.dag(mate, CONFIG, sql=SQL)
    shop.dag("shop", CONFIG.replace("identifier: notify", "identifier: notify\n    bogus: 1"), sql=SQL)
    dags = build_dags(shop.root, group=dag_group("shop", 3), groups=3)
    assert sorted(dags) == sorted(["dop__shop", f"dop__{mate}"])
    assert "dop:config-error" in dags["dop__shop"].tags
    assert "config.yaml:9:5: error: unknown key 'bogus'" in dags["dop__shop"].doc_md
    assert "dop:config-error" not in dags[f"dop__{mate}"].tags and len(dags[f"dop__{mate}"].tasks) == 3


def test_an_edit_revalidates_only_the_edited_dag(shop, monkeypatch):
    from dop_core.build import cache

    for name in ("a", "b", "c"):
        shop.dag(name, CONFIG, sql=SQL)
    shop.build()
    validated: list[str] = []
    real = cache.validate_dag
    monkeypatch.setattr(cache, "validate_dag", lambda project, folder, *a, **k: (
        validated.append(folder.name), real(project, folder, *a, **k))[1])
    shop.build()
    assert validated == []
    shop.dag("b", CONFIG.replace("echo done", "echo edited"))
    dags = shop.build()
    assert validated == ["b"]
    assert dags["dop__b"].get_task("notify").bash_command == "echo edited"


@pytest.mark.parametrize("group, groups", [(0, None), (None, 3), (3, 3), (-1, 2), (0, 0), (True, 2)])
def test_a_wrong_group_says_what_is_expected(shop, group, groups):
    from dop_core.build.dags import build_dags
    from dop_core.errors import DopError

    with pytest.raises(DopError, match=r"no such group of DAGs") as raised:
        build_dags(shop.root, group=group, groups=groups)
    assert "0 <= group < groups" in raised.value.expected and "groups=4" in raised.value.fix


def test_a_cache_folder_removed_while_the_process_runs_is_made_again_private(shop, tmp_path):
    """A process makes its cache folders private once; one removed meanwhile (a user clearing ~/.cache) is made
    again, 0700, and the entry written, 0600."""
    import shutil

    shop.build()
    assert entry(shop.root, "shop").is_file()
    shutil.rmtree(tmp_path / "user-cache")
    shop.build()
    written = entry(shop.root, "shop")
    assert written.is_file()
    assert oct(stat.S_IMODE(written.stat().st_mode)) == "0o600"
    assert oct(stat.S_IMODE(written.parent.stat().st_mode)) == "0o700"
