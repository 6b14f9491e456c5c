"""A materialization killed at any step leaves the previous table intact, and the next run cleans up.

The child process really dies (SIGKILL) right before its N-th statement reaches DuckDB; the parent
then opens the warehouse as the next task would and checks the table.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import os, signal, sys
    from dop_core.builtin.duckdb.engine import DuckDBEngine
    from dop_core.builtin.materialization.table import materialize_table
    from dop_core.builtin.duckdb.target import DuckDBTarget
    from dop_core.config.identifiers import Relation
    from dop_core.config.models import Partitioning, Target

    kill_at, path, full_refresh = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"

    class KilledEngine(DuckDBEngine):
        statements = 0

        @staticmethod
        def step():
            KilledEngine.statements += 1
            if KilledEngine.statements == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

        def execute(self, sql):
            self.step()
            super().execute(sql)

        def execute_dml(self, sql):
            self.step()
            return super().execute_dml(sql)

        def begin(self):  # BEGIN and COMMIT are steps too: the kill before COMMIT is the one that matters
            self.step()
            super().begin()

        def commit(self):
            self.step()
            super().commit()

    target = Target("local", "duckdb", {}, DuckDBTarget(path=path), root=None)
    new = "SELECT DATE '2024-06-02' AS d, 20 AS n UNION ALL SELECT DATE '2024-06-03', 30"
    with KilledEngine(target) as engine:
        materialize_table(engine, Relation("s", "t"), new, Partitioning(field="d"), full_refresh)
    print("statements", KilledEngine.statements)
""")

OLD = [("2024-06-01", 1), ("2024-06-02", 2)]
NEW_INCREMENTAL = [("2024-06-01", 1), ("2024-06-02", 20), ("2024-06-03", 30)]
NEW_FULL = [("2024-06-02", 20), ("2024-06-03", 30)]


def setup_warehouse(path):
    import duckdb

    with duckdb.connect(path) as con:
        con.execute("CREATE SCHEMA s; CREATE TABLE s.t AS SELECT DATE '2024-06-01' AS d, 1 AS n "
                    "UNION ALL SELECT DATE '2024-06-02', 2")


def table(path):
    import duckdb

    with duckdb.connect(path) as con:
        rows = sorted(con.execute("SELECT d::VARCHAR, n FROM s.t").fetchall())
        tables = sorted(r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                                  "WHERE table_schema = 's'").fetchall())
    return rows, tables


def run_child(kill_at, path, full_refresh):
    return subprocess.run([sys.executable, "-c", CHILD, str(kill_at), path, "1" if full_refresh else "0"],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
@pytest.mark.parametrize("full_refresh", [False, True], ids=["incremental", "full-refresh"])
def test_killed_at_every_step_the_table_is_old_or_new_never_partial(tmp_path, full_refresh):
    probe = str(tmp_path / "probe.duckdb")
    setup_warehouse(probe)
    done = run_child(0, probe, full_refresh)
    assert done.returncode == 0, done.stderr
    steps = int(done.stdout.split()[-1])
    new = NEW_FULL if full_refresh else NEW_INCREMENTAL
    assert table(probe) == (new, ["t"])
    assert steps >= (1 if full_refresh else 5)

    for kill_at in range(1, steps + 1):
        path = str(tmp_path / f"wh{kill_at}.duckdb")
        setup_warehouse(path)
        killed = run_child(kill_at, path, full_refresh)
        assert killed.returncode == -9, f"step {kill_at}: {killed.stderr}"
        rows, _ = table(path)
        assert rows in (OLD, new), f"killed before statement {kill_at}: partial table {rows}"
        # the next successful run ends with the new rows and no staged table left behind
        rerun = run_child(0, path, full_refresh)
        assert rerun.returncode == 0, rerun.stderr
        assert table(path) == (new, ["t"]), f"after a kill at step {kill_at} and a retry"


@pytest.mark.slow
def test_a_retry_of_the_same_date_is_idempotent(tmp_path):
    path = str(tmp_path / "wh.duckdb")
    setup_warehouse(path)
    for _ in range(3):
        assert run_child(0, path, False).returncode == 0
        assert table(path) == (NEW_INCREMENTAL, ["t"])
