"""The docs page lists every translation rule DOP applies."""

from __future__ import annotations

import pathlib

from dop_core.sql.rules import rules

PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "bigquery-sql.md"


def test_every_rule_is_on_the_docs_page_with_a_docstring():
    page = PAGE.read_text()
    for item in rules():
        assert f"`{item.name}`" in page, f"rule {item.name} is missing from docs/bigquery-sql.md"
        assert item.doc, f"rule {item.name} has no docstring saying which BigQuery semantics it keeps"
