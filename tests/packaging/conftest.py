"""Fixtures of the packaging tests: every distribution of the workspace built as users get it."""

from __future__ import annotations

import pathlib

import pytest
from packaging_support import REPO, run


@pytest.fixture(scope="session")
def dist(uv: str, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The sdist and wheel of every distribution, as ``uv build`` makes them (each wheel from its sdist)."""
    out = tmp_path_factory.mktemp("dist")
    run([uv, "build", "--all-packages", "--quiet", "--out-dir", out], cwd=REPO)
    return out

