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


def test_the_docs_page_lists_the_function_library_as_defined():
    from dop_core.sql.library import docs_table

    page = PAGE.read_text()
    start, end = page.index("<!-- library:start -->"), page.index("<!-- library:end -->")
    assert page[start:end].split("-->", 1)[1].strip() == docs_table(), (
        "docs/bigquery-sql.md's library table is out of date: paste the output of "
        "python -c 'from dop_core.sql.library import docs_table; print(docs_table())'")
