"""The column types of BigQuery's set operations on DuckDB through DOP's translation."""

from __future__ import annotations

import datetime as dt


def test_a_string_literal_takes_the_date_or_timestamp_type_of_the_other_input(bq, bq_types):
    sql = ("SELECT DATE '2015-01-16' AS d, TIMESTAMP '2015-01-16 00:00:00 UTC' AS t "
           "UNION ALL SELECT '2015-01-17', '2015-01-17 00:00:00.123456 UTC'")
    assert bq_types(sql) == ["DATE", "TIMESTAMP WITH TIME ZONE"]
    assert sorted(bq(sql))[-1] == (dt.date(2015, 1, 17),
                                   dt.datetime(2015, 1, 17, 0, 0, 0, 123456, tzinfo=dt.UTC))
