"""BigQuery's array functions PostgreSQL lacks."""

from __future__ import annotations

from dop_core.sql.library import postgres_aggregate

postgres_aggregate(
    "array_concat_agg",
    """``ARRAY_CONCAT_AGG(a [ORDER BY ...])``: the arrays concatenated in order; NULL arrays are left out,
    NULL over no rows or only NULL arrays (PostgreSQL's ``array_agg`` of arrays makes a 2-dimensional
    array of equal lengths instead).""",
    "(anycompatiblearray) (SFUNC = array_cat, STYPE = anycompatiblearray)",
)
