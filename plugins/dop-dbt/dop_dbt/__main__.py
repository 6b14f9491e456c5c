"""``python -m dop_dbt``: helpers around a project's dbt projects.

- ``parse DBT_PROJECT [--project DIR] [--target T]``: run ``dbt parse`` with DOP's profile, writing
  ``target/manifest.json`` (what ``options.expand`` reads);
- ``pools [--project DIR] [--create]``: print the ``airflow pools set`` commands for the project's dbt
  pools (for Cloud Composer: ``gcloud composer environments run ENV --location L pools -- set ...``),
  or create them in the project's DOP-managed Airflow database (``dop run`` does it by itself).
"""

from __future__ import annotations

import argparse
import logging
import sys


def _parse(args: argparse.Namespace) -> int:
    from dop_core import load_project, plugin_settings, resolve_target
    from dop_dbt import dbt_project, profiles, venv
    from dop_dbt.operator import command_line

    project = load_project(args.project)
    target = resolve_target(project, args.target)
    effective = plugin_settings(project, target, "dbt")
    dbt = dbt_project.load(project, args.dbt_project)
    if effective.executable:
        import shutil

        exe = shutil.which(effective.executable) or effective.executable
    else:
        reqs = venv.requirements_for(effective.requirement, target.engine)
        exe = str(venv.ensure(venv.location(project.root, effective.venv, reqs), reqs, say=print))
    folder = profiles.write(project.dop_dir / "dbt-profiles" / f"{dbt.slug}-{target.name}-parse", dbt.profile,
                            target, args.schema, effective)
    cmd = command_line(exe, "parse", str(dbt.path), str(folder), dbt.profile, [], {}, False)
    import subprocess

    return subprocess.run(cmd, cwd=dbt.path, check=False).returncode


def _pools(args: argparse.Namespace) -> int:
    from dop_core import load_project
    from dop_dbt import dbt_project
    from dop_dbt.tasks import pool_name

    project = load_project(args.project)
    pools = {}
    for name in dbt_project.available(project.root):
        dbt = dbt_project.load(project, name)
        pools[pool_name(project.name, dbt)] = f"dop-dbt: one dbt command at a time on dbt project {dbt.name}"
    if not args.create:
        for pool, description in pools.items():
            print(f"airflow pools set {pool} 1 '{description}'")
        return 0
    # create them in the project's DOP-managed Airflow database (what `dop run` and `dop airflow` use)
    import os

    from dop_core import airflow_env, ensure_database

    env = airflow_env(project)
    ensure_database(project, env)
    os.environ.update(env)
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    with create_session() as session:
        for pool, description in pools.items():
            if Pool.get_pool(pool, session=session) is None:
                Pool.create_or_update_pool(pool, 1, description, include_deferred=False, session=session)
                print(f"created Airflow pool {pool} (1 slot)")
            else:
                print(f"Airflow pool {pool} exists")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m dop_dbt", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="write the dbt project's manifest.json (dbt parse)")
    p.add_argument("dbt_project")
    p.add_argument("--project", default=None, help="the service project (default: found from the current folder)")
    p.add_argument("--target", default=None)
    p.add_argument("--schema", default="main", help="schema of the profile (dbt parse does not use it)")
    p.set_defaults(func=_parse)
    q = sub.add_parser("pools", help="print the Airflow pool commands of the project's dbt projects")
    q.add_argument("--project", default=None)
    q.add_argument("--create", action="store_true",
                   help="create them in the project's DOP-managed Airflow database (.dop/airflow) instead")
    q.set_defaults(func=_pools)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
