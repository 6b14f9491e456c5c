"""A DOP-managed Airflow home under ``<project>/.dop/airflow``: nothing for the user to set up.

Used by ``dop run`` (and ``dop airflow``): SQLite metadata database, the project's ``dags/`` as the
DAGs folder, logs under ``.dop/logs``, no example DAGs, and everything bound to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import subprocess
import sys

from dop_core.config.models import Project
from dop_core.util.cachedir import user_cache_dir
from dop_core.util.locks import file_lock
from dop_core.util.private import PRIVATE_DIR, PRIVATE_FILE, private_dir, private_file


def airflow_home(project: Project) -> pathlib.Path:
    return project.dop_dir / "airflow"


def airflow_env(project: Project, target: str | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an Airflow process running this project's DAGs locally."""
    home = airflow_home(project)
    env = dict(os.environ if base is None else base)
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(project.root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(project.dop_dir / "logs"),
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": oct(PRIVATE_DIR),
        "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": oct(PRIVATE_FILE),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "DOP_PROJECT_DIR": str(project.root),
        "PYTHONUNBUFFERED": "1",
    })
    if target:
        env["DOP_TARGET"] = target
    return env


def run_lock_path(home: pathlib.Path, dag_id: str, date: str) -> pathlib.Path:
    """The lock file a ``dop run`` of ``dag_id`` for ``date`` holds (its runner child too) while it runs."""
    return home / "runs" / dag_id / f"{date}.lock"


def damage(db: pathlib.Path) -> str | None:
    """Why the SQLite file ``db`` is not a usable Airflow database (truncated, corrupt, never migrated), or
    None when it is. A database another process is writing to counts as usable."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(db, timeout=30)) as con:  # read-write: rolls back a hot journal
            check = con.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                return "SQLite's integrity check says: " + " ".join(str(check[0] if check else "nothing").split())[:200]
            if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone() is None or \
                    con.execute("SELECT version_num FROM alembic_version").fetchone() is None:
                return "it was never migrated: it has no schema version"
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
            return None
        return str(exc)
    return None


def ensure_database(project: Project, env: dict[str, str]) -> None:
    """Create or migrate the SQLite metadata database once per Airflow version, one process at a time.

    A freshly migrated database is kept in the user's cache and copied into new projects, so only
    the first project on a machine pays for the migration (~20 s). A new database appears whole or
    not at all (written aside, then renamed), and a damaged one (truncated, corrupt) is set aside as
    ``airflow.db.damaged`` and rebuilt, with a warning.
    """
    from importlib.metadata import version

    home = private_dir(airflow_home(project), under=project.root)
    with file_lock(home / "setup.lock", timeout=900, waiting="waiting for another dop command preparing "
                   f"the local Airflow database in {home}", busy=f"the local Airflow database in {home} stayed "
                   "busy for 900s (another dop command is preparing it)",
                   say=lambda text: print(text, file=sys.stderr, flush=True)):
        _ensure_database(home, env, version("apache-airflow-core"))


def _ensure_database(home: pathlib.Path, env: dict[str, str], airflow_version: str) -> None:
    marker = home / f".migrated-{airflow_version}"
    db = home / "airflow.db"
    for stale in home.glob("airflow.db.*.tmp"):  # left by a process killed while it made the database
        stale.unlink(missing_ok=True)
    if db.exists() and (reason := damage(db)) is not None:
        aside = home / "airflow.db.damaged"
        print(f"warning: the local Airflow database {db} is damaged ({reason}); it is moved to {aside.name} "
              "and a new one is made (the history of local runs starts again)", file=sys.stderr, flush=True)
        os.replace(db, aside)
        for leftover in (home / "airflow.db-journal", home / "airflow.db-wal", home / "airflow.db-shm", marker):
            leftover.unlink(missing_ok=True)
    if marker.exists() and db.exists():
        private_file(db)
        return
    cache = user_cache_dir()
    template = cache / f"airflow-{airflow_version}.db"
    if not db.exists() and template.is_file():
        if damage(template) is None:
            _copy_atomically(template, db)
            private_file(db)
            marker.touch(mode=0o600)
            return
        template.unlink(missing_ok=True)
    print(f"Preparing the local Airflow database in {home} (once)...", file=sys.stderr, flush=True)
    fresh = not db.exists()
    target = home / f"airflow.db.{os.getpid()}.tmp" if fresh else db  # an existing one is upgraded in place
    migrate_env = dict(env, AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{target}")
    try:
        result = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=migrate_env,
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        if fresh:
            os.replace(target, db)
    finally:
        if fresh:
            target.unlink(missing_ok=True)
    private_file(db)
    marker.touch(mode=0o600)
    if not template.exists():
        with contextlib.suppress(OSError):  # a read-only cache only costs the next project a migration
            cache.mkdir(parents=True, exist_ok=True)
            _copy_atomically(db, template)


def _copy_atomically(source: pathlib.Path, destination: pathlib.Path) -> None:
    """Copy through a temporary file next to ``destination`` and a rename: a killed copy leaves no half file."""
    partial = destination.with_name(f"{destination.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, partial)
        os.chmod(partial, PRIVATE_FILE)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
