"""Test servers are explicit: `.ci/test-servers` installs them before pytest; fixtures never install anything,
and a fixture whose server is missing fails under CI=true (skips elsewhere) naming it and the script.

Each fixture's check runs in a pytest subprocess with its conftest loaded as a plugin and the server made
unavailable through the variable the fixture reads (no server is started: the check comes first).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from xml.etree import ElementTree

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = REPO / ".ci" / "test-servers"
TEST_DIRS = [REPO / "tests", *REPO.glob("plugins/*/tests"), *REPO.glob("contrib/*/tests")]

# conftest folder -> (how its servers are made unavailable, {fixture: (what the message names, script item)})
FOLDERS = {
    "tests": ({"PATH": "{empty}"}, {
        "uv": ("uv (on PATH)", "uv"),
    }),
    "tests/bigquery": ({"DOP_TEST_CACHE": "{empty}"}, {
        "bq_emulator": ("the BigQuery emulator (bqemulator in {empty}/bqemulator-venv)", "bigquery-emulator"),
    }),
    "tests/template": ({"DOP_TEST_CACHE": "{empty}", "DOP_TEST_CHROMIUM": "{empty}/chromium"}, {
        "gcs_emulator": ("the GCS emulator (gcp-storage-emulator in {empty}/gcs-emulator)", "gcs-emulator"),
        "chromium": ("Chromium ({empty}/chromium)", "chromium"),
    }),
    "contrib/dop-postgres/tests": ({"DOP_TEST_POSTGRES_BIN": "{empty}"}, {
        "postgres_server": ("PostgreSQL (pg_ctl, initdb and postgres, looked for in DOP_TEST_POSTGRES_BIN={empty})",
                            "postgres"),
    }),
    "plugins/dop-egress/tests": ({"DOP_TEST_CACHE": "{empty}", "DOP_TEST_SSHD": "{empty}/sshd"}, {
        "gcs_emulator": ("the GCS emulator (gcp-storage-emulator in {empty}/gcs-emulator)", "gcs-emulator"),
        "sshd": ("the OpenSSH server ({empty}/sshd)", "sshd"),
    }),
    "plugins/dop-spark/tests": ({"JAVA_HOME": "{empty}"}, {
        "java": ("Java 17+ for Spark local mode (JAVA_HOME={empty} has no bin/java)", "java"),
    }),
}


def run_fixtures(tmp_path: pathlib.Path, folder: str, ci: bool) -> dict[str, tuple[str, str]]:
    """One test per fixture of ``folder``'s conftest, with their servers made unavailable; returns
    ``{fixture: (outcome, message)}`` from pytest's JUnit report."""
    unavailable, fixtures = FOLDERS[folder]
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "test_needs.py").write_text("".join(f"def test_{f}({f}):\n    pass\n\n" for f in fixtures))
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "DOP_TEST_REQUIRE_SERVERS", "PYTHONPATH")}
    env.update({name: value.format(empty=empty) for name, value in unavailable.items()})
    env["PYTHONPATH"] = str(REPO / folder)  # its conftest (and the helpers it imports), loaded with -p conftest
    if ci:
        env["CI"] = "true"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", "--junitxml=report.xml",
         "test_needs.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    outcomes = {}
    for case in ElementTree.parse(tmp_path / "report.xml").iter("testcase"):
        results = [(child.tag, child.get("message", "")) for child in case if child.tag in ("error", "skipped")]
        outcomes[case.get("name", "").removeprefix("test_")] = results[0] if results else ("passed", "")
    return outcomes


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_missing_server_fails_under_ci_naming_it_and_the_script(tmp_path: pathlib.Path, folder: str) -> None:
    outcomes = run_fixtures(tmp_path, folder, ci=True)
    expected = {fixture: ("error", f"{what.format(empty=tmp_path / 'empty')} is missing: run .ci/test-servers {item}")
                for fixture, (what, item) in FOLDERS[folder][1].items()}
    assert set(outcomes) == set(expected)
    for fixture, (outcome, message) in outcomes.items():
        assert (outcome, expected[fixture][1] in message) == (expected[fixture][0], True), (fixture, message)
        assert "fails the tests under CI=true or DOP_TEST_REQUIRE_SERVERS=1" in message


def test_elsewhere_a_missing_server_skips_with_the_same_message(tmp_path: pathlib.Path) -> None:
    outcomes = run_fixtures(tmp_path, "contrib/dop-postgres/tests", ci=False)
    assert outcomes == {"postgres_server": (
        "skipped", f"PostgreSQL (pg_ctl, initdb and postgres, looked for in DOP_TEST_POSTGRES_BIN={tmp_path / 'empty'}) "
        "is missing: run .ci/test-servers postgres (as root it installs Debian's postgresql)")}


def test_the_script_says_what_to_install_and_exits_1(tmp_path: pathlib.Path) -> None:
    env = {**os.environ, "DOP_TEST_POSTGRES_BIN": str(tmp_path), "DOP_TEST_SSHD": str(tmp_path / "sshd"),
           "DOP_TEST_CACHE": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, str(SCRIPT), "--check", "postgres", "sshd", "gcs-emulator"], env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ".ci/test-servers: postgres sshd gcs-emulator"
    assert lines[1].split()[:2] == ["MISSING", "PostgreSQL"] and "DOP_TEST_POSTGRES_BIN" in lines[1]
    assert lines[2].split()[:3] == ["MISSING", "OpenSSH", "server"]
    assert "apt-get update && apt-get install -y postgresql openssh-server" in lines[3]
    assert lines[4].split()[:3] == ["MISSING", "GCS", "emulator"] and ".ci/test-servers gcs-emulator" in lines[4]
    assert result.stderr == ".ci/test-servers: missing postgres, sshd, gcs-emulator (see above); the tests that " \
        "need them fail under CI=true\n"
    assert not (tmp_path / "cache").exists()  # --check builds nothing


def test_no_test_installs_anything() -> None:
    """apt-get belongs to .ci/test-servers, never to a test or fixture."""
    offenders = [str(path.relative_to(REPO)) for folder in TEST_DIRS for path in folder.rglob("*.py")
                 if path != pathlib.Path(__file__).resolve() and "apt-get" in path.read_text()]
    assert offenders == [], offenders
