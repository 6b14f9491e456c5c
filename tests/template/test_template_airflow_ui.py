"""``dop airflow`` serves the project's DAGs in the real Airflow 3 UI; a browser logs in, triggers the
example DAG with the 'Full refresh' box ticked, and sees the run succeed. Then Ctrl-C stops everything.

Headless Chromium from Debian's packages (the ``chromium`` fixture; ``.ci/test-servers chromium``
installs it), driven by Playwright from PyPI with ``executable_path`` (no ``playwright install``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from template_support import free_port

from dop_core.testing import clean_env

pytestmark = [pytest.mark.slow, pytest.mark.timeout(720)]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DAG_ID = "dop__example_covid19"


class AirflowServer:
    """``dop airflow --port N`` running in a project, its output collected from a log file."""

    def __init__(self, project: pathlib.Path, port: int, log: pathlib.Path):
        self.project, self.port, self.log = project, port, log
        self.groups: set[int] = set()  # process groups of the components, once seen
        env = clean_env()
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dop_core.cli.main", "airflow", "--port", str(port)],
                cwd=project,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 150) -> tuple[str, str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.output()
            m = re.search(r"Airflow is running: (\S+)\n\s+user:\s+(\S+)\n\s+password:\s+(\S+)", text)
            if m:
                return m.group(1), m.group(2), m.group(3)
            if self.proc.poll() is not None:
                pytest.fail(f"dop airflow exited ({self.proc.returncode}):\n{text[-3000:]}")
            time.sleep(1)
        pytest.fail(f"dop airflow was not ready in {timeout}s:\n{self.output()[-3000:]}")

    def interrupt(self, timeout: float = 60) -> int:
        """Ctrl-C, as a terminal would send it to the foreground process."""
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def process_groups() -> dict[int, tuple[int, int]]:
    """``pid -> (parent pid, process group)`` of every live process (Airflow rewrites its processes' titles
    and environments, so they are followed by ancestry and group, not by name)."""
    found = {}
    for proc in pathlib.Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                found[int(proc.name)] = (int(fields[1]), int(fields[2]))
    return found


def component_groups(dop_pid: int) -> set[int]:
    """The process groups of the components `dop airflow` started (each is its child and group leader)."""
    return {pid for pid, (ppid, pgid) in process_groups().items() if ppid == dop_pid and pgid == pid}


def alive_in(groups: set[int]) -> list[int]:
    return [pid for pid, (_, pgid) in process_groups().items() if pgid in groups]


def api(url: str, path: str, user: str, password: str) -> Any:
    request = urllib.request.Request(
        f"{url}/auth/token",
        method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"username": user, "password": password}).encode(),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        token = json.loads(response.read())["access_token"]
    request = urllib.request.Request(f"{url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def log_in(page: Any, url: str, user: str, password: str) -> None:
    page.goto(url)
    page.wait_for_url(re.compile(r"/auth/login"))
    page.get_by_role("textbox", name=re.compile("username", re.I)).fill(user)
    page.get_by_label(re.compile("password", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("sign in|log in", re.I)).click()
    page.wait_for_url(lambda u: "/login" not in u)


@pytest.fixture
def airflow_server(new_project: pathlib.Path, tmp_path: pathlib.Path) -> Iterator[AirflowServer]:
    server = AirflowServer(new_project, free_port(), tmp_path / "dop-airflow.log")
    try:
        yield server
    finally:
        server.groups |= component_groups(server.proc.pid)
        if server.proc.poll() is None:  # a failed test: stop it as Ctrl-C would, then make sure
            server.proc.send_signal(signal.SIGINT)
            try:
                server.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
        for pgid in server.groups:  # never leave a component behind
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


def test_trigger_the_example_from_the_ui(
    airflow_server: AirflowServer, chromium: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, user, password = airflow_server.wait_ready()
    assert url == f"http://127.0.0.1:{airflow_server.port}"
    assert user == "admin" and len(password) >= 12

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        page = browser.new_page()
        page.set_default_timeout(30_000)
        try:
            log_in(page, url, user, password)  # with what `dop airflow` printed

            # the DOP DAG is in the list (the DAG processor may need a few seconds for its first parse)
            deadline = time.monotonic() + 90
            while True:
                page.goto(f"{url}/dags")
                card = page.locator('[data-testid="dag-card"]').filter(has_text=DAG_ID)
                try:
                    expect(card).to_have_count(1, timeout=10_000)
                    break
                except AssertionError:
                    if time.monotonic() > deadline:
                        raise
            expect(card.locator('[data-testid="toggle-pause"]')).to_be_visible()

            # trigger it with the 'Full refresh' switch on (the boolean DAG param full_refresh)
            page.goto(f"{url}/dags/{DAG_ID}")
            page.locator('[data-testid="trigger-dag-button"]').first.click()
            dialog = page.get_by_role("dialog")
            switch = dialog.get_by_role("checkbox", name="Full refresh")  # the param's title
            switch.locator("xpath=..").click()  # the visible switch (its input is visually hidden)
            expect(switch).to_be_checked()
            with page.expect_response(lambda r: r.request.method == "POST" and "/dagRuns" in r.url) as posted:
                page.locator('[data-testid="trigger-dag-submit"]').click()
            run = posted.value.json()
            assert posted.value.ok, run
            run_id = run["dag_run_id"]
            assert run["conf"].get("full_refresh") is True, run["conf"]

            # the run finishes (its state read from the API the UI reads: the page itself renders after its
            # load event, so a badge looked up right after a reload may not be there yet)
            run_path = f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.parse.quote(run_id, safe='')}"
            deadline = time.monotonic() + 300
            while (state := api(url, run_path, user, password)["state"]) not in {"success", "failed"}:
                assert time.monotonic() < deadline, f"the run is still {state!r} after 300 s"
                time.sleep(3)
            tis = api(url, f"{run_path}/taskInstances", user, password)
            states = {ti["task_id"]: ti["state"] for ti in tis["task_instances"]}
            assert state == "success", states

            # the run page shows it succeed
            page.goto(f"{url}/dags/{DAG_ID}/runs/{run_id}")
            expect(page.locator('[data-testid="state-badge"]').first).to_have_text(
                re.compile(r"^\s*success\s*$", re.I), timeout=60_000)
            # every task succeeded too
            assert set(states.values()) == {"success"}, states
            assert len(states) == 9
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'failure.png'}")
            print(f"--- dop airflow output ---\n{airflow_server.output()}")
            raise
        finally:
            browser.close()

    # Ctrl-C stops every component (and what they started) and exits 0
    groups = component_groups(airflow_server.proc.pid)
    assert len(groups) == 4, groups  # api-server, scheduler, dag-processor, triggerer
    airflow_server.groups |= groups
    assert alive_in(groups)
    assert airflow_server.interrupt() == 0, airflow_server.output()[-3000:]
    assert "Airflow stopped." in airflow_server.output()
    assert alive_in(groups) == []


@pytest.fixture(scope="module")
def example_run(new_project: pathlib.Path) -> str:
    """`dop run` of the example for a past date, before `dop airflow` starts: its DAG run's id. A full refresh: the
    example's assertion refuses days after the logical date, which another test's run (for today) loaded."""
    from dop_core.testing import run_dop

    result = run_dop("run", "example_covid19", "--date", "2024-06-01", "--full-refresh", "--format", "json",
                     cwd=new_project)
    assert result.returncode == 0, result.stdout + result.stderr
    return str(json.loads(result.stdout)["airflow_run_id"])


def test_a_dop_run_shows_in_the_ui_in_seconds_with_its_logs(
    example_run: str, airflow_server: AirflowServer, chromium: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, user, password = airflow_server.wait_ready()
    run = api(url, f"/api/v2/dags/{DAG_ID}/dagRuns/{example_run}", user, password)
    took = (dt.datetime.fromisoformat(run["end_date"]) - dt.datetime.fromisoformat(run["start_date"])).total_seconds()
    assert run["logical_date"].startswith("2024-06-01") and 0 < took < 600, run  # seconds, not days
    tis = api(url, f"/api/v2/dags/{DAG_ID}/dagRuns/{example_run}/taskInstances", user, password)
    ti = next(t for t in tis["task_instances"] if t["task_id"] == "daily_cases")
    assert ti["operator_name"] == "materialization/table", ti  # the kind, as the graph's node shows it
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        page = browser.new_page()
        page.set_default_timeout(30_000)
        try:
            log_in(page, url, user, password)
            page.goto(f"{url}/dags/{DAG_ID}/runs/{example_run}/tasks/daily_cases")
            expect(page.get_by_text(re.compile(r"daily_cases.*rows")).first).to_be_visible()
            expect(page.get_by_text("Could not read served logs")).to_have_count(0)
        except BaseException:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'failure.png'}")
            print(f"--- dop airflow output ---\n{airflow_server.output()}")
            raise
        finally:
            browser.close()
