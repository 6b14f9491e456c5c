"""BigQuery's sketch functions on DuckDB (BigQuery reference: "HyperLogLog++ functions"; the sketch format:
zetasketch's AggregatorStateProto with its HyperLogLogPlusUniqueStateProto extension 112)."""

from __future__ import annotations

import duckdb
import pytest

# Two sketches as BigQuery writes them (precision 15, sparse precision 20, value type 4: INT64), sparse
# values difference-encoded: A holds 5, 9 and the rho-encoded value of normal index 3 with rho 2; B holds
# 9, 200 and normal index 3 with rho 5 (flag bit 1 << 21 above the index and rho)
SKETCH_A = "087010031802200482070e1003180f201432060504b9818001"
SKETCH_B = "087010021802200482070e1003180f2014320609bf01fdff7f"
# their union: 5, 9, 200 and normal index 3 with the larger rho, 5; 3 + 2 values seen
MERGED = "087010051802200482070f1004180f201432070504bf01fdff7f"
# as BigQuery returned one sketch (hll_count.test): its value type in the legacy field 7, rewritten on merging
LEGACY = "08701003180282070b1001180f20193201053802"
LEGACY_MERGED = "08701003180220088207091001180f2019320105"


def _sketches(*hexes: str) -> str:
    return " UNION ALL ".join(f"SELECT FROM_HEX('{h}') AS s" for h in hexes)


def test_bigquery_sketches_merge_as_on_bigquery(bq):
    assert bq(f"SELECT TO_HEX(HLL_COUNT.MERGE_PARTIAL(s)) FROM ({_sketches(SKETCH_A, SKETCH_B)})") == [(MERGED,)]
    # HLL++ counts a sparse sketch by linear counting over its 2^20 sparse buckets: 4 indexes, 4
    assert bq(f"SELECT HLL_COUNT.MERGE(s) FROM ({_sketches(SKETCH_A, SKETCH_B)})") == [(4,)]
    assert bq(f"SELECT HLL_COUNT.EXTRACT(FROM_HEX('{SKETCH_A}'))") == [(3,)]
    assert bq(f"SELECT TO_HEX(HLL_COUNT.MERGE_PARTIAL(s)) FROM ({_sketches(LEGACY)})") == [(LEGACY_MERGED,)]
    # BigQuery's sketches and DOP's local ones do not mix
    with pytest.raises(duckdb.Error, match=r"Invalid or incompatible sketch in HLL_COUNT\.MERGE"):
        bq(f"SELECT HLL_COUNT.MERGE(s) FROM ({_sketches(SKETCH_A)} UNION ALL SELECT HLL_COUNT.INIT(1))")


def test_bigquery_sketches_merge_over_windows(bq):
    sql = f"""SELECT id, TO_HEX(HLL_COUNT.MERGE_PARTIAL(s) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING
              AND CURRENT ROW)) FROM (SELECT 1 AS id, CAST(NULL AS BYTES) AS s UNION ALL SELECT 2, FROM_HEX('{SKETCH_A}')
              UNION ALL SELECT 3, FROM_HEX('{SKETCH_B}')) ORDER BY id"""
    assert bq(sql) == [(1, None), (2, SKETCH_A), (3, MERGED)]
    assert bq("SELECT HLL_COUNT.MERGE_PARTIAL(s) OVER () FROM (SELECT CAST(NULL AS BYTES) AS s)") == [(None,)]
    assert bq("SELECT HLL_COUNT.MERGE_PARTIAL(s) FROM UNNEST([CAST(NULL AS BYTES), NULL]) AS s") == [(None,)]


def test_safe_extract_of_an_invalid_sketch_is_null(bq):
    assert bq("SELECT SAFE.HLL_COUNT.EXTRACT(x) FROM UNNEST([B'']) AS x") == [(None,)]
    with pytest.raises(duckdb.Error, match=r"Invalid sketch in HLL_COUNT\.EXTRACT"):
        bq("SELECT HLL_COUNT.EXTRACT(x) FROM UNNEST([B'']) AS x")


def test_kll_quantiles_are_exact(bq):
    # BigQuery's documented examples ("KLL quantile functions"): the minimum, the quantiles, the maximum
    sql = """SELECT KLL_QUANTILES.EXTRACT_INT64(s, 2), KLL_QUANTILES.EXTRACT_INT64(s, 3),
               KLL_QUANTILES.EXTRACT_INT64(s, 6), KLL_QUANTILES.EXTRACT_POINT_INT64(s, .8)
             FROM (SELECT KLL_QUANTILES.INIT_INT64(x, 1000) AS s FROM UNNEST(GENERATE_ARRAY(1, 100)) AS x)"""
    assert bq(sql) == [([1, 50, 100], [1, 34, 67, 100], [1, 17, 34, 50, 67, 84, 100], 80)]
    weighted = """SELECT KLL_QUANTILES.EXTRACT_INT64(s, 2) FROM (SELECT KLL_QUANTILES.INIT_INT64(x, 1000, weight => y) AS s
                  FROM (SELECT 1 AS x, 1 AS y UNION ALL SELECT 2, 3 UNION ALL SELECT 3, 1 UNION ALL SELECT 4, 1
                        UNION ALL SELECT 5, 1))"""
    assert bq(weighted) == [([1, 2, 5],)]
    merged = """SELECT KLL_QUANTILES.MERGE_INT64(s, 2), KLL_QUANTILES.EXTRACT_POINT_INT64(KLL_QUANTILES.MERGE_PARTIAL(s), 1)
                FROM (SELECT KLL_QUANTILES.INIT_INT64(x) AS s FROM UNNEST([1, 2, 3, 4, 5]) AS x
                      UNION ALL SELECT KLL_QUANTILES.INIT_INT64(x) FROM UNNEST([6, 7, 8, 9, 10]) AS x)"""
    assert bq(merged) == [([1, 5, 10], 10)]


def test_kll_float64_quantiles_sort_nan_first_and_merge_over_windows(bq):
    sql = """SELECT KLL_QUANTILES.MERGE_FLOAT64(s, 2) OVER (), KLL_QUANTILES.MERGE_POINT_FLOAT64(s, 0) OVER ()
             FROM (SELECT KLL_QUANTILES.INIT_FLOAT64(x) AS s FROM UNNEST([1.5, IEEE_DIVIDE(0, 0), 3.0]) AS x)"""
    [(quantiles, first)] = bq(sql)
    assert str(quantiles) == "[nan, 1.5, 3.0]" and str(first) == "nan"
    assert bq("SELECT KLL_QUANTILES.MERGE_INT64(s, 2) OVER (), KLL_QUANTILES.MERGE_PARTIAL(s) OVER () "
              "FROM UNNEST([CAST(NULL AS BYTES)]) AS s") == [(None, None)]
    with pytest.raises(duckdb.Error, match="needs a sketch of INT64 values"):
        bq("SELECT KLL_QUANTILES.EXTRACT_INT64(KLL_QUANTILES.INIT_FLOAT64(1.5), 2)")
