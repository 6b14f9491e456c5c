"""`dop airflow` killed outright (SIGKILL: no chance to clean up) takes its four Airflow components and
everything they started with it, within seconds."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from proctree import alive, below, processes, wait_for

from dop_core.testing import clean_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")]


def test_sigkill_of_dop_airflow_stops_every_component(dop_project, tmp_path):
    dop_project.dag("hello", """\
        schedule_interval: null
        schema: hello
        tasks:
          - identifier: create_schema_hello
            kind: {action: materialization, target: schema}
        """)
    out = tmp_path / "dop-airflow.out"
    env = clean_env()
    with open(out, "wb") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "dop_core.cli.main", "airflow", "--port", "0"],
                                cwd=dop_project.root, env=env, stdin=subprocess.DEVNULL, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)
    tree: set[tuple[int, int]] = set()
    try:
        wait_for(lambda: "Airflow is running" in out.read_text() or proc.poll() is not None, 300,
                 "Airflow running")
        assert proc.poll() is None, out.read_text()
        tree = below(proc.pid)
        children = [pid for pid, (parent, _, _) in processes().items() if parent == proc.pid]
        assert len(children) == 4, children  # api-server, scheduler, dag-processor, triggerer
        assert len(tree) > 8  # and what they started
        proc.kill()
        proc.wait()
        started = time.monotonic()
        wait_for(lambda: not alive(tree), 60, f"still running after dop airflow was killed: {alive(tree)}")
        assert time.monotonic() - started < 30
    finally:
        for pid, _ in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
