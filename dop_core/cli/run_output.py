"""What ``dop run`` shows while a run goes on and when it ends, and the results it records.

Each task is shown when it starts and when it ends, with its state and duration; a task that fails shows
DOP's one-line reason at once. At the end: every task's state, the tasks not selected, then, for each failed
task, its reason, what it logged (tracebacks reduced to their error) and the path of its own log (the
traceback is there), then the counts by state and the total time. The results go to
``.dop/runs/<run id>/run_results.json`` (:mod:`dop_core.cli.run_results`); ``--format json`` prints them on stdout
and everything else on stderr.

Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org).
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
import sys
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

import attrs

from dop_core.cli.run_results import FAILED_STATES, SCHEMA_VERSION, counts, results_json, write_results
from dop_core.cli.selection import Selection
from dop_core.util.private import open_private, private_dir

_START = re.compile(r"\[DAG TEST\] starting task_id=(\S+)")
_END = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
_COLOURS = {"success": "green", "failed": "red", "upstream_failed": "yellow", "up_for_retry": "yellow",
            "skipped": "cyan"}


def use_colour(stream: IO[str], env: Mapping[str, str] | None = None) -> bool:
    """Colour on ``stream``: only a terminal, and not when ``NO_COLOR`` is set to anything but the empty text."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(state: str, colour: bool) -> str:
    """``state`` in its colour (success green, failed red...), or as is."""
    if not colour or state not in _COLOURS:
        return state
    import click

    return click.style(state, fg=_COLOURS[state], bold=state == "failed" or None)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f}s"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m{rest:04.1f}s"


def first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


@attrs.define
class RunReport:
    """Follows one ``dop run`` from its runner's output: call :meth:`log_line` with each line of the log,
    :meth:`task_ended` with each task's end, then :meth:`finish`."""

    dag_id: str
    date: str
    target: str
    full_refresh: bool
    run_id: str
    folder: pathlib.Path  # .dop/runs/<run id>
    root: pathlib.Path  # the project's folder (paths are shown relative to it)
    log_path: pathlib.Path
    selection: Selection
    say: Callable[[str], None]
    colour: bool = False
    fmt: str = "text"
    sink: Callable[[dict[str, Any]], None] | None = None  # takes the results instead of ``--format json``'s print
    started: float = attrs.field(factory=time.monotonic)
    started_at: dt.datetime = attrs.field(factory=lambda: dt.datetime.now(dt.UTC))
    sections: dict[str, list[str]] = attrs.field(factory=dict)
    ended: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    _current: str | None = None
    _number: int = 0
    _numbers: dict[str, int] = attrs.field(factory=dict)

    def _counter(self, number: int | str) -> str:
        """``[3/9]``: the task's place in the run, of the tasks selected."""
        return f"[{number}/{len(self.selection.selected)}]"

    def log_line(self, line: str) -> None:
        """A line of the runner's log: a task starts or ends, or says something."""
        if m := _START.search(line):  # again for a sensor rescheduled: the same number, one log
            self._current = task_id = m.group(1)
            self.sections.setdefault(task_id, [])
            if task_id not in self._numbers:
                self._number += 1
                self._numbers[task_id] = self._number
            self.say(f"  {self._counter(self._numbers[task_id])} -> {task_id}")
        elif m := _END.search(line):
            self._current = None
        elif self._current is not None:
            self.sections[self._current].append(line)

    def task_ended(self, data: dict[str, Any]) -> None:
        """A task ended (the runner's :data:`~dop_core.cli.run_results.TASK_MARK` line): show it, keep its log."""
        task_id, state = data["task_id"], data["state"]
        self.ended[task_id] = data
        data["log"] = self._write_task_log(task_id)
        number, took = self._numbers.get(task_id, "?"), _duration(data["duration_s"])
        self.say(f"  {self._counter(number)} <- {task_id}  {paint(state, self.colour)}  {took}")
        if state in FAILED_STATES:
            self.say(f"        {first_line(data.get('error')) or 'failed: see its log'}")

    def _write_task_log(self, task_id: str) -> str:
        """The task's whole section of the run's log (tracebacks included) in a file of its own; its path."""
        folder = private_dir(self.folder / "logs", under=self.root)
        path = folder / f"{task_id}.log"
        with open_private(path, "w", encoding="utf-8") as out:
            out.writelines(self.sections.get(task_id, []))
        return self.relative(path)

    def relative(self, path: pathlib.Path) -> str:
        return os.path.relpath(path, self.root)

    def results(self, result: dict[str, Any] | None, state: str, interrupted: str | None) -> dict[str, Any]:
        """The run's results (what ``run_results.json`` holds)."""
        tasks = (result or {}).get("results") or [
            {"task_id": task_id, "kind": None, "state": task_state, "start": None, "end": None,
             "duration_s": self.ended.get(task_id, {}).get("duration_s"), "rows_written": None,
             "error": self.ended.get(task_id, {}).get("error")}
            for task_id, task_state in ((result or {}).get("tasks") or
                                        {t: d["state"] for t, d in self.ended.items()}).items()]
        for task in tasks:  # a task stopped midway never ended: its log so far
            task_id = task["task_id"]
            task["log"] = self.ended.get(task_id, {}).get("log") or (
                self._write_task_log(task_id) if task_id in self.sections else None)
        ended_at = dt.datetime.now(dt.UTC)
        unselected = list(self.selection.unselected)
        return {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.run_id,
            "airflow_run_id": (result or {}).get("run_id"),
            "dag_id": self.dag_id,
            "logical_date": self.date,
            "target": self.target,
            "full_refresh": self.full_refresh,
            "state": state,
            "interrupted": interrupted,
            "start": self.started_at.isoformat(),
            "end": ended_at.isoformat(),
            "duration_s": round(time.monotonic() - self.started, 3),
            "counts": counts(tasks),
            "not_selected": unselected,
            "log": self.relative(self.log_path),
            "tasks": tasks,
        }

    def finish(self, result: dict[str, Any] | None, state: str, interrupted: str | None = None) -> pathlib.Path:
        """Show the end of the run (the tasks' states, the failures, the summary); write and, with ``--format
        json``, print the results; return the results file's path."""
        from dop_core.cli.run import _readable
        from dop_core.cli.run_history import write_task_log

        results = self.results(result, state, interrupted)
        for task_id, path in ((result or {}).get("airflow_logs") or {}).items():  # where the Airflow UI reads them
            write_task_log(path, self.sections.get(task_id, []))
        tasks = results["tasks"]
        if tasks:
            self.say("")
            width = max(len(t["task_id"]) for t in tasks)
            for task in tasks:
                self.say(f"  {task['task_id'].ljust(width)}  {paint(task['state'], self.colour)}")
        if results["not_selected"]:
            self.say(f"  {len(results['not_selected'])} task(s) not selected: {', '.join(results['not_selected'])}")
        for task in tasks:
            if task["state"] not in FAILED_STATES or task["state"] == "upstream_failed":
                continue
            print(f"\n{task['task_id']} failed: {first_line(task['error']) or 'see its log'}", file=sys.stderr)
            if self.sections.get(task["task_id"]):
                print(f"----- log of failed task {task['task_id']} -----", file=sys.stderr)
                print("".join(_readable(self.sections[task["task_id"]])), file=sys.stderr, end="")
            if task.get("log"):
                print(f"----- its full log (with any traceback): {task['log']}", file=sys.stderr)
        path = write_results(self.folder, results)
        by_state = ", ".join(f"{n} {s}" for s, n in results["counts"].items()) or "no task ran"
        skipped = f"; {len(results['not_selected'])} not selected" if results["not_selected"] else ""
        self.say(f"\n{by_state}{skipped}; {_duration(results['duration_s'])} in all")
        self.say(f"results: {self.relative(path)}")
        if self.sink is not None:
            self.sink(results)
        elif self.fmt == "json":
            sys.stdout.write(results_json(results) + "\n")
            sys.stdout.flush()
        return path

