"""Docs that cannot drift: generated reference pages match the code; every page in the nav exists."""

from __future__ import annotations

import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def _generator():
    """docs/gen_reference.py: the generator lives with the docs, outside the runtime package."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _generator()


@pytest.mark.parametrize("page", sorted(reference.PAGES))
def test_generated_reference_is_up_to_date(page, dop_plugin_manager):
    committed = (DOCS / "reference" / page).read_text(encoding="utf-8")
    assert committed == reference.PAGES[page](), (
        f"docs/reference/{page} is out of date: run `python docs/gen_reference.py docs/reference`")


def test_every_hookspec_is_documented_with_its_signature():
    import inspect

    from dop_core.contract import hookspecs

    text = (DOCS / "reference" / "hookspecs.md").read_text()
    specs = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("dop_")]
    assert len(specs) >= 4
    for name in specs:
        fn = getattr(hookspecs, name)
        assert f"`{name}{inspect.signature(fn)}`" in text
        assert "Example::" in inspect.getdoc(fn), f"{name} needs an example in its docstring"
        assert "Since " in inspect.getdoc(fn)


def test_every_nav_page_exists():
    nav = re.findall(r":\s+([\w/.-]+\.md)\s*$", (DOCS.parent / "mkdocs.yml").read_text(), flags=re.M)
    assert nav
    missing = [page for page in nav if not (DOCS / page).is_file()]
    assert not missing, f"pages in mkdocs.yml nav but not in docs/: {missing}"
