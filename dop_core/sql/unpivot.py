"""Rules for BigQuery's UNPIVOT."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dop_core.sql.rules import rule


@rule("duckdb")
def unpivot_puts_the_name_column_last(tree: Any, target: str) -> Any:
    """``FROM t UNPIVOT (cnt FOR animal IN (dogs, cats))`` has t's other columns, then the value column(s)
    ``cnt``, then the name column ``animal``; DuckDB puts the name column before the values (``SELECT *``
    got another column order). The unpivoted input becomes ``(SELECT * EXCLUDE (animal), animal FROM ...)``
    under the alias it had."""
    for source in list(tree.find_all(exp.Table, exp.Subquery)):
        pivots = source.args.get("pivots") or []
        if len(pivots) != 1 or not pivots[0].args.get("unpivot") or len(pivots[0].args.get("fields") or []) != 1:
            continue
        pivot = pivots[0]
        name = pivot.args["fields"][0].this
        alias = pivot.args.get("alias") or source.args.get("alias")
        alias_name = alias.name if alias is not None and alias.name else source.name or "_dop_unpivoted"
        inner = exp.select(exp.Star(except_=[exp.column(name.name, quoted=name.quoted)]),
                           exp.column(name.name, quoted=name.quoted)).from_(source.copy())
        source.replace(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(alias_name))))
    return tree
