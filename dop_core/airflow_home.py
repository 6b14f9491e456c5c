"""A DOP-managed Airflow home under ``<project>/.dop/airflow``: nothing for the user to set up.

Used by ``dop run`` (and ``dop airflow``): SQLite metadata database, the project's ``dags/`` as the
DAGs folder, logs under ``.dop/logs``, no example DAGs, and everything bound to 127.0.0.1.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

from dop_core.cachedir import user_cache_dir
from dop_core.private import PRIVATE_DIR, PRIVATE_FILE, private_dir, private_file
from dop_core.project import Project


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


def ensure_database(project: Project, env: dict[str, str]) -> None:
    """Create or migrate the SQLite metadata database once per Airflow version.

    A freshly migrated database is kept in the user's cache and copied into new projects, so only
    the first project on a machine pays for the migration (~20 s).
    """
    import shutil
    from importlib.metadata import version

    home = private_dir(airflow_home(project), under=project.root)
    airflow_version = version("apache-airflow-core")
    marker = home / f".migrated-{airflow_version}"
    db = home / "airflow.db"
    if marker.exists() and db.exists():
        private_file(db)
        return
    cache = user_cache_dir()
    template = cache / f"airflow-{airflow_version}.db"
    if not db.exists() and template.is_file():
        shutil.copyfile(template, db)
        private_file(db)
        marker.touch(mode=0o600)
        return
    print(f"Preparing the local Airflow database in {home} (once)...", file=sys.stderr, flush=True)
    result = subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    private_file(db)
    marker.touch(mode=0o600)
    if not template.exists():
        try:
            cache.mkdir(parents=True, exist_ok=True)
            partial = template.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(db, partial)
            os.replace(partial, template)
        except OSError:
            pass  # a read-only cache only costs the next project a migration
