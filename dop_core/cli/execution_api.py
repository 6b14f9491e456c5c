"""The in-process execution API that ``dag.test`` runs each task through, made for the one API version its
client speaks.

Airflow's task execution API is versioned with Cadwyn: on its first request, the app builds a router for every
version Airflow ever released (ten in Airflow 3.3), deep-copying every route for each and migrating its schemas
back, so that a worker of an older Airflow can still talk to a newer API server. That is about a third of a
one-task ``dop run``. ``dag.test``'s client is the task SDK of the same installation, which always asks for the
newest version: the runner (:mod:`dop_core.cli.run`), a process that serves only that client, gives the app a
version bundle of that one version. Requests at the newest version are answered as before: Cadwyn migrates a
request or response only for a version older than the newest, and a route Airflow keeps for older versions only
(marked deleted in the newest) is left out, as the newest version's router leaves it out.
"""

from __future__ import annotations


def latest_api_only() -> bool:
    """Make the execution API app (built later, by ``dag.test``'s first task) serve only the newest API version,
    when that is the version the task SDK's client asks for; say whether it did (else nothing changed)."""
    try:  # what another Airflow or Cadwyn may move: without it, the app is Airflow's own, all versions
        from airflow.api_fastapi.execution_api import versions
        from airflow.api_fastapi.execution_api.routes import execution_api_router
        from airflow.sdk.api.datamodels._generated import API_VERSION
        from cadwyn import HeadVersion, Version, VersionBundle
        from cadwyn.route_generation import _DELETED_ROUTE_TAG
    except ImportError:
        return False
    newest = versions.bundle.versions[0]
    if newest.value != API_VERSION or versions.bundle.head_version.changes:
        return False
    versions.bundle = VersionBundle(HeadVersion(), Version(newest.value))
    execution_api_router.routes = [route for route in execution_api_router.routes
                                   if _DELETED_ROUTE_TAG not in getattr(route, "tags", ())]
    return True
