"""Where DOP lives on the web: the one place its addresses are decided.

The distributions' ``[project.urls]`` (every ``pyproject.toml``, the plugin template's too), the absolute
links of the READMEs that PyPI shows, mkdocs' ``repo_url`` and what ``dop`` prints (``dop new-plugin``'s
guide) all use these; ``tests/packaging`` checks that they agree.
"""

from __future__ import annotations

REPOSITORY = "https://github.com/dop-platform/dop"
ISSUES = f"{REPOSITORY}/issues"
DOCUMENTATION = f"{REPOSITORY}/tree/main/docs"


def doc(page: str) -> str:
    """The address of a documentation page, e.g. ``doc("plugins.md")``."""
    return f"{REPOSITORY}/blob/main/docs/{page}"
