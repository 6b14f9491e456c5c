"""Start the bqemulator BigQuery emulator on loopback for DOP's tests (runs in the emulator's own venv).

Usage: ``<emulator-venv>/bin/python bqemulator_launcher.py [--data-dir DIR] [--project ID]``

bqemulator refuses to start when DuckDB's ``spatial`` extension cannot be installed (it downloads it
from extensions.duckdb.org, unreachable offline). DOP's tests use no GEOGRAPHY, so this launcher
tolerates that: without the extension, GEOGRAPHY columns and ST_* functions are unsupported, the
rest of the emulator works. It also keeps tables' partitioning as BigQuery does (see
:func:`keep_partitioning_specs`). Both servers (REST and gRPC) bind to 127.0.0.1 on free ports; once they
accept connections one line ``BQEMULATOR-READY <rest_url>`` is printed on stdout. SIGTERM stops it.

This file must import only the standard library and bqemulator: it never runs in DOP's environment.
"""

from __future__ import annotations

import argparse
import logging
import sys

READY = "BQEMULATOR-READY"


def tolerate_missing_spatial() -> None:
    from bqemulator.storage import engine as storage_engine

    original = storage_engine.DuckDBEngine._load_spatial

    def load_spatial(self: object) -> None:
        try:
            original(self)
        except Exception as exc:  # InternalError: INSTALL/LOAD spatial failed (offline)
            print(
                f"bqemulator launcher: DuckDB spatial extension unavailable, GEOGRAPHY is unsupported "
                f"({str(exc).splitlines()[-1][:200]})",
                file=sys.stderr,
                flush=True,
            )

    storage_engine.DuckDBEngine._load_spatial = load_spatial  # type: ignore[method-assign]


Spec = tuple[str, ...]  # ("time", field, unit) or ("range", field, start, end, interval)
_TRUNCS = ("TimestampTrunc", "DatetimeTrunc", "DateTrunc")


def partitioning_spec(node: object) -> Spec | None:
    """The spec BigQuery keeps for ``PARTITION BY <node>`` (a sqlglot expression), or None if unknown."""
    from sqlglot import exp

    if isinstance(node, exp.Identifier | exp.Column):
        return ("time", node.name, "DAY")
    if isinstance(node, exp.Date) and isinstance(node.this, exp.Column):
        return ("time", node.this.name, "DAY")
    if type(node).__name__ in _TRUNCS and isinstance(node.this, exp.Column):
        unit = node.args.get("unit")
        return ("time", node.this.name, (unit.name if unit is not None else "DAY").upper())
    if isinstance(node, exp.RangeBucket) and isinstance(node.this, exp.Column):
        series = node.expression
        bounds = [series.args.get(k) for k in ("start", "end", "step")] if series is not None else []
        if bounds and all(isinstance(b, exp.Literal) for b in bounds):
            return ("range", node.this.name, *(str(b.this) for b in bounds))
    return None


def keep_partitioning_specs() -> None:
    """Keep the partitioning a ``CREATE TABLE`` declares, and refuse to replace it by another, as BigQuery does.

    bqemulator 1.4.0 keeps only ``PARTITION BY <column>`` (DAY) in its catalog, and never range
    partitioning. BigQuery keeps every form (``DATE(ts)``, ``TIMESTAMP_TRUNC(ts, HOUR)``,
    ``DATE_TRUNC(d, MONTH)``, ``RANGE_BUCKET(n, GENERATE_ARRAY(0, 100, 10))``) and returns it from
    ``tables.get`` as ``timePartitioning`` / ``rangePartitioning``; and it refuses ``CREATE OR REPLACE
    TABLE`` over a table with another spec ("Cannot replace a table with a different partitioning
    spec"). This adds both to the emulator, so DOP's tests see what BigQuery would do.
    """
    import sqlglot
    from bqemulator.api.routes import tables as rest
    from bqemulator.catalog import ddl_sync
    from bqemulator.catalog.models import RangePartitioning, TimePartitioning
    from bqemulator.domain.errors import InvalidQueryError
    from bqemulator.jobs import executor
    from bqemulator.scripting import interpreter
    from sqlglot import exp

    def declared(sql: str, project: str) -> tuple[tuple[str, str, str], Spec | None] | None:
        target = ddl_sync._detect_plain_create_table(sql)
        if target is None:
            return None
        tree = sqlglot.parse_one(sql, read="bigquery")
        props = tree.args.get("properties")
        spec = None
        for prop in props.expressions if props is not None else []:
            if isinstance(prop, exp.PartitionedByProperty):
                spec = partitioning_spec(prop.this)
        return ddl_sync._split_target(target, project), spec

    def kept(meta: object) -> Spec | None:
        time, ranged = getattr(meta, "time_partitioning", None), getattr(meta, "range_partitioning", None)
        if ranged is not None:
            return ("range", ranged.field, str(ranged.start), str(ranged.end), str(ranged.interval))
        if time is not None and time.field:
            return ("time", time.field, time.type)
        return None

    def describe(spec: Spec | None) -> str:
        if spec is None:
            return "none"
        if spec[0] == "range":
            return f"range(type:integer,field:{spec[1]},start:{spec[2]},end:{spec[3]},interval:{spec[4]})"
        return f"interval(type:{spec[2].lower()},field:{spec[1]})"

    def refuse_other_spec(sql: str, project: str, ctx: object) -> None:
        found = declared(sql, project)
        if found is None or not sqlglot.parse_one(sql, read="bigquery").args.get("replace"):
            return
        (p, d, t), spec = found
        meta = ctx.catalog.get_table(p, d, t)  # type: ignore[attr-defined]
        if meta is not None and meta.table_type == "TABLE" and kept(meta) != spec:
            raise InvalidQueryError(
                "Cannot replace a table with a different partitioning spec. Instead, DROP the table, and then "
                f"recreate it. New partitioning spec is {describe(spec)} and existing spec is {describe(kept(meta))}"
            )

    def record_spec(sql: str, project: str, ctx: object) -> None:
        found = declared(sql, project)
        if found is None or found[1] is None:
            return
        (p, d, t), spec = found
        meta = ctx.catalog.get_table(p, d, t)  # type: ignore[attr-defined]
        if meta is None:
            return
        if spec[0] == "range":
            start, end, interval = (int(v) for v in spec[2:])
            update = {"time_partitioning": None,
                      "range_partitioning": RangePartitioning(field=spec[1], start=start, end=end, interval=interval)}
        else:
            update = {"time_partitioning": TimePartitioning(type=spec[2], field=spec[1]), "range_partitioning": None}
        ctx.catalog.update_table(meta.model_copy(update=update))  # type: ignore[attr-defined]

    run_single_sql = executor._run_single_sql

    async def run_single_sql_checked(project_id: str, bq_sql: str, *args: object, **kwargs: object) -> object:
        refuse_other_spec(bq_sql, project_id, args[1] if len(args) > 1 else kwargs["ctx"])
        return await run_single_sql(project_id, bq_sql, *args, **kwargs)

    run_query = interpreter.ScriptInterpreter._run_query

    async def run_query_checked(self: object, bq_sql: str) -> object:
        refuse_other_spec(bq_sql, self._project_id, self._ctx)  # type: ignore[attr-defined]
        return await run_query(self, bq_sql)

    sync_created_table = ddl_sync.sync_created_table

    def sync_with_spec(bq_sql: str, project_id: str, ctx: object) -> None:
        sync_created_table(bq_sql, project_id, ctx)
        record_spec(bq_sql, project_id, ctx)

    table_to_rest = rest._table_to_rest

    def table_with_range(t: object) -> dict[str, object]:
        body = table_to_rest(t)
        ranged = getattr(t, "range_partitioning", None)
        if ranged is not None:
            body["rangePartitioning"] = {"field": ranged.field, "range": {
                "start": str(ranged.start), "end": str(ranged.end), "interval": str(ranged.interval)}}
        return body

    executor._run_single_sql = run_single_sql_checked
    interpreter.ScriptInterpreter._run_query = run_query_checked  # type: ignore[method-assign]
    executor.sync_created_table = sync_with_spec
    interpreter.sync_created_table = sync_with_spec
    rest._table_to_rest = table_with_range


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="persist the catalog in this folder (default: in memory)")
    parser.add_argument("--project", default="test-project", help="default project id")
    parser.add_argument("--port", type=int, default=0, help="REST port (default: a free one)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    tolerate_missing_spatial()
    keep_partitioning_specs()
    import asyncio

    from bqemulator.config import LogLevel, PersistenceMode, Settings
    from bqemulator.server import EmulatorServer

    settings = Settings(
        rest_host="127.0.0.1",
        rest_port=args.port,
        grpc_host="127.0.0.1",
        grpc_port=0,
        persistence_mode=PersistenceMode.PERSISTENT if args.data_dir else PersistenceMode.EPHEMERAL,
        data_dir=args.data_dir,
        default_project_id=args.project,
        log_level=LogLevel(args.log_level),
        enable_format_extensions=False,
        tracing_enabled=False,
    )
    server = EmulatorServer(settings)

    async def run() -> None:
        import signal

        await server.start()
        print(f"{READY} {server.rest_url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run())


if __name__ == "__main__":
    main()
