"""dop-core and the plugins under plugins/ must not depend on a contrib plugin: contrib is 'anyone'."""

from __future__ import annotations

import pathlib
import re

REPO = pathlib.Path(__file__).resolve().parents[3]

CONTRIB_PACKAGES = ("dop_postgres", "dop_hello")


def _sources() -> list[pathlib.Path]:
    files = []
    for tree in ("dop_core", "plugins"):
        files += [
            p
            for p in (REPO / tree).rglob("*")
            if p.is_file()
            and p.suffix in (".py", ".toml", ".cfg", ".txt", ".yml", ".yaml", ".json")
            and "__pycache__" not in p.parts
            and ".venv" not in p.parts
        ]
    return files


def test_core_and_plugins_never_name_a_contrib_package() -> None:
    sources = _sources()
    assert any(p.name == "hookspecs.py" for p in sources)  # the walk really covers dop_core
    pattern = re.compile("|".join(CONTRIB_PACKAGES))
    offenders = [
        f"{p.relative_to(REPO)}:{n}: {line.strip()}"
        for p in sources
        for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_no_distribution_outside_contrib_depends_on_one() -> None:
    import tomllib

    pyprojects = [REPO / "pyproject.toml", *(REPO / "plugins").glob("*/pyproject.toml")]
    for path in pyprojects:
        deps = tomllib.loads(path.read_text())["project"].get("dependencies", [])
        assert not [d for d in deps if d.startswith(("dop-postgres", "dop-hello"))], path
