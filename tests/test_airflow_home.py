"""The local Airflow database of a project: made whole or not at all, and rebuilt (with a warning) when it
is damaged, instead of failing every later `dop run`.

The database comes from the user's cache (a migrated copy; made once per machine, ~20 s) or from
`airflow db migrate`: these tests are slow only the first time.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from dop_core.cli.airflow_home import airflow_env, airflow_home, damage, ensure_database

pytestmark = pytest.mark.slow

KILLED_COPY = textwrap.dedent("""
    import os, shutil, signal, sys
    from dop_core.cli.airflow_home import airflow_env, ensure_database
    from dop_core.config.project import load_project

    def copy_half_then_die(source, destination, **_):
        data = open(source, "rb").read()
        with open(destination, "wb") as out:
            out.write(data[: len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)

    shutil.copyfile = copy_half_then_die
    project = load_project(sys.argv[1])
    ensure_database(project, airflow_env(project))
""")


@pytest.fixture
def project(dop_project):
    project = dop_project.project()
    ensure_database(project, airflow_env(project))  # the cached copy exists from here on
    return project


def test_a_truncated_database_is_set_aside_and_rebuilt_with_a_warning(project, capfd):
    db = airflow_home(project) / "airflow.db"
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])
    assert damage(db) is not None
    capfd.readouterr()
    ensure_database(project, airflow_env(project))
    err = capfd.readouterr().err
    assert f"warning: the local Airflow database {db} is damaged (" in err
    assert "it is moved to airflow.db.damaged and a new one is made" in err
    assert damage(db) is None
    assert (db.parent / "airflow.db.damaged").read_bytes() == data[: len(data) // 2]


@pytest.mark.parametrize("content", [b"", b"not a database" * 100], ids=["empty", "garbage"])
def test_an_empty_or_foreign_file_is_rebuilt_too(project, capfd, content):
    db = airflow_home(project) / "airflow.db"
    db.write_bytes(content)
    ensure_database(project, airflow_env(project))
    assert "is damaged" in capfd.readouterr().err
    assert damage(db) is None


def test_a_process_killed_while_copying_the_database_leaves_none_behind(dop_project):
    project = dop_project.project()
    ensure_database(project, airflow_env(project))  # makes sure the cache has its copy
    home = airflow_home(project)
    for path in home.iterdir():  # a project that never had a database
        path.unlink()
    done = subprocess.run([sys.executable, "-c", KILLED_COPY, str(project.root)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not (home / "airflow.db").exists()  # half a copy never has the database's name
    ensure_database(project, airflow_env(project))
    assert damage(home / "airflow.db") is None
    assert sorted(p.name for p in home.iterdir() if p.name.endswith(".tmp")) == []
