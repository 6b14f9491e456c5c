"""BigQuery's functions of arrays and BYTES PostgreSQL lacks (PostgreSQL functions of the library)."""

from __future__ import annotations

from dop_core.sql.library import postgres_aggregate, postgres_function

postgres_aggregate(
    "array_concat_agg",
    """``ARRAY_CONCAT_AGG(a [ORDER BY ...])``: the arrays concatenated in order; NULL arrays are left out,
    NULL over no rows or only NULL arrays (PostgreSQL's ``array_agg`` of arrays makes a 2-dimensional
    array of equal lengths instead).""",
    "(anycompatiblearray) (SFUNC = array_cat, STYPE = anycompatiblearray)",
)

_CASE_OF_BYTES = """(b bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  r bytea := b;
  c int;
BEGIN
  FOR i IN 0 .. length(b) - 1 LOOP
    c := get_byte(b, i);
    IF c BETWEEN {low} AND {high} THEN
      r := set_byte(r, i, c {sign} 32);
    END IF;
  END LOOP;
  RETURN r;
END
$$"""

postgres_function(
    "upper_bytes",
    "``UPPER(bytes)``: the ASCII letters a-z upper-cased, every other byte kept (PostgreSQL's ``upper`` has no BYTES).",
    _CASE_OF_BYTES.format(low=97, high=122, sign="-"),
)
postgres_function(
    "lower_bytes",
    "``LOWER(bytes)``: the ASCII letters A-Z lower-cased, every other byte kept (PostgreSQL's ``lower`` has no BYTES).",
    _CASE_OF_BYTES.format(low=65, high=90, sign="+"),
)

postgres_function(
    "count_distinct",
    "``COUNT(DISTINCT x) OVER (PARTITION BY ...)``: the distinct non-NULL values of the window's "
    "``array_agg(x)`` (PostgreSQL has no DISTINCT in a window function).",
    "(anycompatiblearray) RETURNS bigint LANGUAGE sql IMMUTABLE AS "
    "$$ SELECT count(DISTINCT v) FROM unnest($1) AS v $$",
)

for _name, _aggregate in (("sum_distinct", "sum"), ("avg_distinct", "avg")):
    postgres_function(
        _name,
        f"``{_aggregate.upper()}(DISTINCT x) OVER (PARTITION BY ...)``: the {_aggregate} of the distinct "
        "non-NULL values of the window's ``array_agg(x)`` (NUMERIC for INT64 and NUMERIC values, the "
        "translation casts it to BigQuery's type).",
        *(f"({typ}[]) RETURNS {returns} LANGUAGE sql IMMUTABLE AS "
          f"$$ SELECT {_aggregate}(DISTINCT v) FROM unnest($1) AS v $$"
          for typ, returns in (("bigint", "numeric"), ("numeric", "numeric"),
                               ("double precision", "double precision"))),
    )
