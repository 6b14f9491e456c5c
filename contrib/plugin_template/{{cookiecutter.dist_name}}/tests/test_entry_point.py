"""Through the installed entry point, as a user meets the plugin (``pip install -e .`` first)."""

from __future__ import annotations

import json

import pytest

from dop_core.testing import run_dop as dop


def test_dop_plugins_lists_it() -> None:
    result = dop("plugins", "--format", "json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert "{{ cookiecutter.entry_point }}" in plugins, "not installed? run `pip install -e .`"
    mine = plugins["{{ cookiecutter.entry_point }}"]
    assert mine["distribution"] == "{{ cookiecutter.dist_name }}"
    assert mine["error"] is None
    assert mine["registers"] == ["task_types:{{ cookiecutter.action }}/message"]


@pytest.mark.slow
def test_dop_run_writes_the_message(dop_project) -> None:
    dop_project.dag("greetings", """\
        tasks:
          - identifier: say_hello
            kind: {action: {{ cookiecutter.action }}, target: message}
            options: {text: "hello on {% raw %}{{ ds }}{% endraw %}"}
        """)
    result = dop("run", "greetings", "--date", "2024-05-01", cwd=dop_project.root)
    assert result.returncode == 0, result.stdout + result.stderr
    log = next((dop_project.root / ".dop" / "logs" / "runs" / "dop__greetings").glob("2024-05-01*.log"))
    assert "hello on 2024-05-01" in log.read_text()
