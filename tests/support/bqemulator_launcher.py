"""Start the bqemulator BigQuery emulator on loopback for DOP's tests (runs in the emulator's own venv).

Usage: ``<emulator-venv>/bin/python bqemulator_launcher.py [--data-dir DIR] [--project ID]``

bqemulator refuses to start when DuckDB's ``spatial`` extension cannot be installed (it downloads it
from extensions.duckdb.org, unreachable offline). DOP's tests use no GEOGRAPHY, so this launcher
tolerates that: without the extension, GEOGRAPHY columns and ST_* functions are unsupported, the
rest of the emulator works. Both servers (REST and gRPC) bind to 127.0.0.1 on free ports; once they
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="persist the catalog in this folder (default: in memory)")
    parser.add_argument("--project", default="test-project", help="default project id")
    parser.add_argument("--port", type=int, default=0, help="REST port (default: a free one)")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    tolerate_missing_spatial()
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
