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

_PERCENTILE_CONT = """(vals {typ}[], p {typ}, respect boolean) RETURNS {typ} LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  s {typ}[];
  nulls int;
  pos numeric;
  lo int;
  f numeric;
  l {typ};
  r {typ};
BEGIN
  IF p IS NULL OR p < 0 OR p > 1 THEN
    RAISE EXCEPTION 'Percentile argument must be in [0, 1]; got %', p;
  END IF;
  SELECT array_agg(v ORDER BY v = 'NaN' DESC, v) INTO s FROM unnest(vals) AS v WHERE v IS NOT NULL;
  IF s IS NULL THEN
    RETURN NULL;
  END IF;
  nulls := CASE WHEN respect THEN cardinality(vals) - cardinality(s) ELSE 0 END;
  pos := p::numeric * (cardinality(s) - 1 + nulls);
  lo := floor(pos)::int;
  f := pos - lo;
  IF lo < nulls THEN  -- among the NULLs sorted first: NULL, or the first value when it is interpolated with
    RETURN CASE WHEN lo = nulls - 1 AND f > 0 THEN s[1] END;
  END IF;
  l := s[lo - nulls + 1];
  IF f = 0 THEN
    RETURN l;
  END IF;
  r := s[lo - nulls + 2];
  {interpolate}
END
$$"""

postgres_function(
    "percentile_cont",
    "``PERCENTILE_CONT(x, p [RESPECT NULLS]) OVER (PARTITION BY ...)`` of the window's ``array_agg(x)``: NaN "
    "sorts before every number (NULLs before it with RESPECT NULLS: a percentile among them is NULL; else "
    "left out), the values around ``p * (n - 1)`` interpolated as ``left * (1 - f) + right * f`` exactly "
    "(FLOAT64 without overflowing; NUMERIC rounded to 9 decimals half away from zero); a percentile outside "
    "[0, 1] is an error. PostgreSQL's ordered-set ``percentile_cont`` has no OVER and sorts NaN last.",
    _PERCENTILE_CONT.format(typ="double precision", interpolate="""IF l IN ('NaN', 'Infinity', '-Infinity')
      OR r IN ('NaN', 'Infinity', '-Infinity') THEN
    RETURN l * (1 - f)::double precision + r * f::double precision;
  END IF;
  RETURN (l::numeric * (1 - f) + r::numeric * f)::double precision;"""),
    _PERCENTILE_CONT.format(typ="numeric", interpolate="RETURN round(l * (1 - f) + r * f, 9);"),
)

for _name, _pick in (("min_bytes", "least"), ("max_bytes", "greatest")):
    postgres_function(
        f"{_pick}_of_bytes",
        f"The {_pick} of two BYTES (NULLs left out): the step of ``{_name}``.",
        f"(a bytea, b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT {_pick}(a, b) $$",
    )
    postgres_aggregate(
        _name,
        f"``{_name[:3].upper()}(bytes)`` (also over a window), byte-wise as BigQuery compares BYTES (PostgreSQL "
        f"has no {_name[:3]} of bytea).",
        f"(bytea) (SFUNC = dop_bq.{_pick}_of_bytes, STYPE = bytea)",
    )
