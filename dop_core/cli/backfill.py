"""``dop run DAG --start D1 --end D2`` and ``dop backfill DAG D1 D2``: every logical date of a schedule in a range.

The dates come from the DAG's own timetable, as Airflow's backfill finds them
(``SerializedDAG.iter_dagrun_infos_between``): the range is the days D1 to D2 inclusive, in the DAG's time
zone, within its ``start_date`` and ``end_date``; as in Airflow, a run whose data interval has not ended
yet is not part of a backfill. Each date runs in order, one after another, through ``dop run``'s own
per-date path (:func:`dop_core.cli.run.run_dag`: its lock, log, results), with the same task selection; a
failed date stops the backfill unless ``continue_on_failure``. The end is a table of the dates and their
states; ``--format json`` prints one document with every date's results.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Any

from dop_core.cli.run_results import redacted
from dop_core.cli.selection import Selection
from dop_core.config.models import Project
from dop_core.errors import DopError

#: version of the layout ``dop run --start/--end --format json`` prints (``docs/running.md``)
BACKFILL_SCHEMA_VERSION = 1


class BackfillError(DopError):
    """A date range that gives no date to run: a usage error (exit status 2)."""

    exit_code = 2


def backfill_dates(dag: Any, start: dt.date, end: dt.date) -> list[dt.date]:
    """The logical dates (days, in the DAG's time zone) of ``dag``'s schedule from ``start`` to ``end`` inclusive.

    Raise :class:`BackfillError` when ``start`` is after ``end`` or the range holds no scheduled date."""
    import pendulum
    from airflow.serialization.serialized_objects import DagSerialization

    if start > end:
        raise BackfillError(f"--start {start.isoformat()} is after --end {end.isoformat()}; fix: swap them")
    tz = dag.timezone
    earliest = pendulum.datetime(start.year, start.month, start.day, tz=tz)
    latest = pendulum.datetime(end.year, end.month, end.day, tz=tz).add(days=1).subtract(microseconds=1)
    if dag.start_date is not None:
        earliest = max(earliest, pendulum.instance(dag.start_date))
    if dag.end_date is not None:
        latest = min(latest, pendulum.instance(dag.end_date))
    serialized = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    now = pendulum.now("UTC")
    dates: list[dt.date] = []
    if earliest <= latest:
        for info in serialized.iter_dagrun_infos_between(earliest, latest):
            if info.logical_date is None or (info.data_interval is not None and info.data_interval.end >= now):
                continue
            day = pendulum.instance(info.logical_date).in_timezone(tz).date()
            if not dates or dates[-1] != day:
                dates.append(day)
    if not dates:
        schedule = serialized.timetable.summary
        begins = dag.start_date.in_timezone(tz).date().isoformat() if dag.start_date else "any date"
        raise BackfillError(
            f"{dag.dag_id} has no scheduled logical date from {start.isoformat()} to {end.isoformat()} "
            f"(schedule {schedule}, time zone {tz.name}, start_date {begins}; a run whose interval has not ended "
            "yet is not backfilled); fix: widen the range, or run one date with --date")
    return dates


def backfill(project: Project, name: str, dates: list[dt.date], continue_on_failure: bool = False,
             full_refresh: bool = False, target: str | None = None, conf: dict[str, Any] | None = None,
             selection: Selection | None = None, fmt: str = "text") -> int:
    """Run DAG ``name`` for each of ``dates`` in order (:func:`~dop_core.cli.run.run_dag`); show a line per date and
    a final table (``fmt="json"``: print one JSON document of every date's results). Return the exit status:
    0 when every date succeeded, else that of the first failed date."""
    from dop_core.cli.run import run_dag
    from dop_core.cli.run_output import paint, use_colour
    from dop_core.config.models import DAG_ID_PREFIX

    shown = sys.stderr if fmt == "json" else sys.stdout
    colour = use_colour(shown)

    def say(text: str) -> None:
        print(text, file=shown, flush=True)

    dag_id = DAG_ID_PREFIX + project.dag_name(name)
    say(f"Backfilling {dag_id}: {len(dates)} logical date(s) from {dates[0].isoformat()} to {dates[-1].isoformat()}"
        + ("" if not continue_on_failure else " (continuing on failure)"))
    done: list[tuple[dt.date, int, dict[str, Any] | None]] = []
    for number, day in enumerate(dates, 1):
        say(f"\n=== [{number}/{len(dates)}] {dag_id} {day.isoformat()} ===")
        collected: list[dict[str, Any]] = []
        status = run_dag(project, name, day, full_refresh, target, conf, selection=selection, fmt=fmt,
                         sink=collected.append)
        results = collected[-1] if collected else None
        done.append((day, status, results))
        say(f"=== [{number}/{len(dates)}] {day.isoformat()}: {paint(_state(status, results), colour)}"
            + (f" ({_counts(results)})" if results else ""))
        if status != 0 and (not continue_on_failure or status >= 128):  # an interruption always stops
            break
    not_run = dates[len(done):]
    say(f"\nBackfill of {dag_id}:")
    for day, status, results in done:
        took = f"{results['duration_s']:.2f}s" if results else "-"
        say(f"  {day.isoformat()}  {paint(_state(status, results), colour).ljust(7)}  {took:>9}  "
            f"{_counts(results) if results else ''}".rstrip())
    for day in not_run:
        say(f"  {day.isoformat()}  not run")
    failed = [day for day, status, _ in done if status != 0]
    say(f"{len(done) - len(failed)} of {len(dates)} date(s) succeeded"
        + (f", {len(failed)} failed" if failed else "") + (f", {len(not_run)} not run" if not_run else ""))
    if fmt == "json":
        document = {"schema_version": BACKFILL_SCHEMA_VERSION, "dag_id": dag_id,
                    "start": dates[0].isoformat(), "end": dates[-1].isoformat(),
                    "state": "failed" if failed else "success",
                    "dates": [{"logical_date": day.isoformat(), "state": _state(status, results), "exit_status": status,
                               "results": results} for day, status, results in done]
                    + [{"logical_date": day.isoformat(), "state": "not_run", "exit_status": None, "results": None}
                       for day in not_run]}
        sys.stdout.write(json.dumps(redacted(document), indent=2) + "\n")
        sys.stdout.flush()
    return next((status for _, status, _ in done if status != 0), 0)


def _state(status: int, results: dict[str, Any] | None) -> str:
    if results is not None:
        return str(results["state"])
    return "success" if status == 0 else "failed"


def _counts(results: dict[str, Any] | None) -> str:
    return ", ".join(f"{n} {state}" for state, n in (results or {}).get("counts", {}).items())
