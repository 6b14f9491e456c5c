"""``dop``: validate, inspect, compile and run a DOP service project."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import pathlib
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from dop_core.errors import DopError, shown

PROJECT_HELP = "The service project folder (default: the one holding dop_project.yml, found upward from here)."


def _project(path: str | None) -> Any:
    from dop_core.config.project import load_project

    return load_project(path)


def _date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD") from None


project_option = click.option("--project", "project_dir", type=click.Path(file_okay=False), default=None,
                              help=PROJECT_HELP)
target_option = click.option("--target", default=None, help="Target from dop_project.yml (default: $DOP_TARGET, "
                             "then the project's default_target).")
select_option = click.option("--select", "-s", "select", multiple=True, metavar="SELECTOR",
                             help="Only these tasks: ids, globs (daily_*), kind:ACTION/TARGET, +task (and upstream), "
                             "task+ (and downstream); space-separated or repeated: any; comma-joined: all. As dbt.")
exclude_option = click.option("--exclude", "exclude", multiple=True, metavar="SELECTOR",
                              help="Leave out the tasks these selectors match (as --select).")


@contextlib.contextmanager
def _logs_to_stderr() -> Iterator[None]:
    """Within the block, what libraries write to stdout (Airflow's and sqlglot's log lines...) goes to stderr,
    as do the log handlers set up inside it: a command that prints data (SQL, JSON, a graph) prints only
    that on stdout, after the block, so that ``dop compile ... > task.sql`` holds only SQL."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from dop_core.secrets import redacted_stdio

        with redacted_stdio():  # whatever a command prints goes through DOP's redaction layer
            try:
                return super().invoke(ctx)
            except DopError as exc:
                text, code = shown(exc)
                click.echo(text, err=True)
                sys.exit(code)


@click.group(cls=_Group)
@click.version_option(package_name="dop-core", prog_name="dop")
def main() -> None:
    """DOP, the Data Orchestration Platform: YAML + SQL folders become Airflow DAGs."""


@main.command()
@project_option
@target_option
@click.option("--strict", is_flag=True, help="Fail on warnings too (deprecated keys, old operator paths, empty "
              "SQL files...).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def validate(project_dir: str | None, target: str | None, strict: bool, fmt: str) -> None:
    """Check every config of the project (no warehouse, no Airflow database).

    Every SQL template is rendered for today (as an incremental run and as a full refresh) and the
    SQL of native tasks parsed in the project's dialect. Each problem is printed as
    path:line:column: message, with what was expected and a fix.
    Exit status 0 when every config is valid, 1 otherwise.
    """
    from dop_core.check.project import check_project

    with _logs_to_stderr():
        report = check_project(project_dir, target)
    problems = report.problems
    failing = [p for p in problems if p.severity == "error" or strict]
    if fmt == "json":
        click.echo(json.dumps([{"path": p.location.path, "line": p.location.line, "column": p.location.column,
                                "severity": p.severity, "message": p.message, "expected": p.expected,
                                "fix": p.fix} for p in problems], indent=2))
    else:
        for p in problems:
            click.echo(str(p), err=True)
        n = len(report.dags)
        if not failing:
            click.echo(f"OK: {n} DAG(s) valid" + (f", {len(problems)} warning(s)" if problems else ""))
        else:
            click.echo(f"{len([p for p in problems if p.severity == 'error'])} error(s), "
                       f"{len([p for p in problems if p.severity != 'error'])} warning(s)", err=True)
    sys.exit(1 if failing else 0)


@main.command("test")
@click.argument("dag", required=False)
@project_option
@target_option
@click.option("--select", "-s", multiple=True, metavar="PATTERN", help="Run only the tests of a task (its "
              "identifier or DAG.TASK) or with this name; * and ? are wildcards. Repeatable.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def test_cmd(dag: str | None, project_dir: str | None, target: str | None, select: tuple[str, ...], fmt: str) -> None:
    """Run the unit tests of the project's SQL (or DAG's): tests/<task>.yaml and the tasks' `tests:`.

    Each test gives rows for the tables a task reads, a date and params; the task's SQL is rendered and
    translated as a run does and runs on an in-memory DuckDB (no warehouse, no Airflow database). Its
    rows are compared with the expected ones: a failure shows the missing, unexpected and changed rows.
    The SQL is rendered for --target (params.task.database...) and always runs on DuckDB.
    Exit status 0 when every test passes, 1 otherwise.
    """
    from dop_core.sqltest.report import as_json_text, run_tests, text

    report = run_tests(_project(project_dir), dag, select, target)
    if fmt == "json":
        click.echo(as_json_text(report))
    else:
        for line, to_stderr in text(report):
            click.echo(line, err=to_stderr)
    if not report.results and not report.problems and (dag or select):
        asked = [f"DAG {dag}"] * bool(dag) + [f"--select {' '.join(select)}"] * bool(select)
        click.echo(f"error: no test matches {' and '.join(asked)}", err=True)
        sys.exit(1)
    sys.exit(0 if report.ok else 1)


@main.command()
@project_option
@click.option("--output", "-o", type=click.Path(file_okay=False), default=None,
              help="Folder to write the schemas to (default: .dop/schema in the project, where the template's "
              ".vscode/settings.json points).")
def schema(project_dir: str | None, output: str | None) -> None:
    """Write JSON Schemas of config.yaml, dop_project.yml and tests/<task>.yaml, for editors.

    They cover every installed plugin's task kinds, triggers, egress destinations and engines, with the
    config reference's descriptions. Point VS Code's YAML extension at them (`yaml.schemas`); write them
    again after installing or upgrading a plugin.
    """
    import pathlib

    from dop_core.config.project import find_project_root
    from dop_core.schema.write import write_project_schemas, write_schemas

    if output:
        written, warnings = write_schemas(pathlib.Path(output))
    else:
        written, warnings = write_project_schemas(find_project_root(project_dir))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    for path in written:
        click.echo(f"wrote {path}")


@main.command("list")
@project_option
@target_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="json: one object per DAG (dag_id, folder, enabled, schedule, tasks with kind and dependencies).")
def list_dags(project_dir: str | None, target: str | None, fmt: str) -> None:
    """List the project's DAGs and their tasks."""
    from dop_core.check.project import check_project

    with _logs_to_stderr():
        report = check_project(project_dir, target, build=False)
    if fmt == "json":
        click.echo(json.dumps([_dag_json(config) for config in report.dags], indent=2))
    else:
        for config in report.dags:
            state = "" if config.enabled else " (disabled)"
            schedule = config.schedule_interval if config.schedule_interval is not None else "manual"
            click.echo(f"{config.dag_id}{state}  schedule: {schedule}  tasks: {len(config.tasks)}")
            for task in config.tasks:
                deps = f"  <- {', '.join(task.dependencies)}" if task.dependencies else ""
                click.echo(f"  {task.identifier}  [{task.kind.action}/{task.kind.target}]{deps}")
    for p in report.problems:
        click.echo(str(p), err=True)
    sys.exit(1 if not report.ok else 0)


def _dag_json(config: Any) -> dict[str, Any]:
    schedule = config.schedule_interval
    return {"dag_id": config.dag_id, "folder": config.name, "enabled": config.enabled,
            "schedule": schedule if isinstance(schedule, str | dict) or schedule is None else str(schedule),
            "tasks": [{"task_id": t.identifier, "kind": f"{t.kind.action}/{t.kind.target}",
                       "dependencies": list(t.dependencies)} for t in config.tasks]}


@main.command()
@click.argument("dag")
@project_option
@target_option
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid")
@click.option("--lineage", is_flag=True, help="Draw the tables too: each task's edge to the table it writes and "
              "from the tables its SQL reads; dependencies no table explains are dashed.")
def graph(dag: str, project_dir: str | None, target: str | None, fmt: str, lineage: bool) -> None:
    """Print DAG's task graph as Mermaid (default) or Graphviz DOT.

    A disabled DAG (enabled: false) is drawn from its config: its tasks and dependencies, no triggers.
    With --lineage, the tables each task reads and writes are drawn too (see docs/lineage.md).
    """
    from dop_core.build.dags import DagDisabled, build_one
    from dop_core.cli.graph import config_graph, to_dot, to_mermaid

    if lineage:
        from dop_core.cli.lineage import draw

        with _logs_to_stderr():
            text = draw(_project(project_dir), dag, target, fmt)
        click.echo(text)
        return

    try:
        with _logs_to_stderr():
            built = build_one(_project(project_dir), dag, target)
    except DagDisabled as exc:
        click.echo(f"note: {exc.config.dag_id} is disabled (enabled: false): drawn from its config", err=True)
        built = config_graph(exc.config)
    click.echo(to_mermaid(built) if fmt == "mermaid" else to_dot(built))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def plugins(fmt: str) -> None:
    """List installed plugins, their versions and what each registers."""
    from dop_core.contract.registry import get_registry

    with _logs_to_stderr():
        registry = get_registry()
    if fmt == "json":
        click.echo(json.dumps([{"name": p.name, "distribution": p.distribution, "version": p.version,
                                "builtin": p.builtin, "error": p.error, "registers": list(p.registers)}
                               for p in registry.plugins], indent=2))
        return
    for p in registry.plugins:
        origin = f"{p.distribution or '?'} {p.version or ''}".strip()
        click.echo(f"{p.name}  ({origin}{', built-in' if p.builtin else ''})")
        if p.error:
            click.echo(f"  BROKEN: {p.error}")
        for item in p.registers:
            click.echo(f"  {item}")
    for error in registry.errors:
        click.echo(f"error: {error}", err=True)


@main.command("compile")
@click.argument("dag")
@click.argument("task", required=False)
@project_option
@target_option
@click.option("--date", "date", default=None, help="Logical date YYYY-MM-DD (default: today).")
@click.option("--full-refresh", is_flag=True, help="Render as a full refresh (is_incremental() is false).")
@select_option
@exclude_option
def compile_cmd(dag: str, task: str | None, project_dir: str | None, target: str | None, date: str | None,
                full_refresh: bool, select: tuple[str, ...], exclude: tuple[str, ...]) -> None:
    """Print the SQL each task would run, in the project dialect and as sent to the engine.

    Nothing is run and no warehouse is touched: a table task shows its incremental run and its first
    run (or full refresh) when they differ. --select and --exclude choose the tasks as `dop run` does.
    A selector that matches no task is an error (exit status 2).
    """
    from dop_core.build.dags import DagDisabled
    from dop_core.cli.compile import compile_dag

    try:
        with _logs_to_stderr():
            compiled = compile_dag(_project(project_dir), dag, task, _date(date), full_refresh, target, select,
                                   exclude)
    except DagDisabled as exc:
        click.echo(f"note: {exc}", err=True)  # nothing to compile, and nothing wrong
        return
    for item in compiled:
        click.echo(f"-- {item.task_id} [{item.kind}]" + (f" ({item.sql_file})" if item.sql_file else "")
                   + (f", {item.variant}" if item.variant else ""))
        click.echo(f"-- as written ({item.dialect}):")
        click.echo(item.rendered.rstrip())
        if item.translated is not None and item.translated != item.rendered:
            click.echo(f"-- as sent to {item.engine}:")
            click.echo(item.translated.rstrip())
        click.echo("")


def _run_options(command: Any) -> Any:
    """The options ``dop run`` and ``dop backfill`` share."""
    for option in reversed([
        click.option("--continue-on-failure", is_flag=True,
                     help="With a date range: run the next dates after a failed one (default: stop)."),
        click.option("--full-refresh", is_flag=True, help="Rebuild every table from scratch."),
        click.option("--conf", default=None, help="Extra run conf as JSON, e.g. '{\"key\": 1}'."),
        select_option,
        exclude_option,
        click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                     help="json: print the run's results (as run_results.json holds them; with a date range, one "
                     "document of every date's) on stdout, the progress on stderr."),
    ]):
        command = option(command)
    return command


@main.command()
@click.argument("dag")
@project_option
@target_option
@click.option("--date", "date", default=None, help="Logical date YYYY-MM-DD (default: today).")
@click.option("--start", "start", default=None, help="Backfill: the first day YYYY-MM-DD of a date range (with --end).")
@click.option("--end", "end", default=None, help="Backfill: the last day YYYY-MM-DD of the range (inclusive).")
@_run_options
def run(dag: str, project_dir: str | None, target: str | None, date: str | None, start: str | None, end: str | None,
        continue_on_failure: bool, full_refresh: bool, conf: str | None, select: tuple[str, ...],
        exclude: tuple[str, ...], fmt: str) -> None:
    """Run DAG for one logical date through Airflow (dag.test) and report each task's state.

    Each task is shown as it starts and ends (state, duration; a failure's reason at once), then a summary:
    counts by state, total time; a failed task's log is kept in its own file. Colour on a terminal, unless
    NO_COLOR is set. The results (per task: state, start, end, duration, rows written, error) are written to
    .dop/runs/<run id>/run_results.json (.dop/runs/latest links to the last run's folder).

    --select and --exclude run only some tasks (the others are not run; a selected task does not wait
    for an unselected one); a selector that matches no task is an error (exit status 2).

    --start and --end (instead of --date) backfill: every logical date of the DAG's schedule from --start to
    --end inclusive, in order, each as one run (as `dop backfill`); a failed date stops the backfill unless
    --continue-on-failure.

    Each run keeps its log in .dop/logs/runs/<dag_id>/<date>.<start time>.log. A second run of the same
    DAG and date waits for the first. Ctrl-C or SIGTERM stops the run within seconds (its tasks and
    their commands too) and marks it and its unfinished tasks failed; exit status 130 (143 for SIGTERM).

    The first run of a project starts a run server in the background (Linux): the runs that follow are forked
    by it, past Airflow's imports, and start in about a second. It stops after 10 minutes without a run
    (DOP_RUN_SERVER_IDLE=SECONDS); DOP_RUN_SERVER=0 turns it off. See docs/running.md.
    """
    if date is not None and (start is not None or end is not None):
        raise click.UsageError("--date runs one date, --start/--end a range: give one or the other")
    if (start is None) != (end is None):
        raise click.UsageError(f"--{'start' if start is None else 'end'} is missing: a range needs --start and --end")
    if start is not None and end is not None:
        _backfill(dag, project_dir, target, _date(start), _date(end), continue_on_failure, full_refresh, conf, select,
                  exclude, fmt)
    if continue_on_failure:
        raise click.UsageError("--continue-on-failure goes with a date range (--start and --end)")
    from dop_core.cli.run import run_dag

    day, extra = _date(date), _run_conf(conf)  # the rest is checked by the runner (dop_core.cli.run_checks)
    _ran(run_dag(_project(project_dir), dag, day, full_refresh, target, extra, fmt=fmt, select=select,
                 exclude=exclude))


@main.command("backfill")
@click.argument("dag")
@click.argument("start")
@click.argument("end")
@project_option
@target_option
@_run_options
def backfill_cmd(dag: str, start: str, end: str, project_dir: str | None, target: str | None,
                 continue_on_failure: bool, full_refresh: bool, conf: str | None, select: tuple[str, ...],
                 exclude: tuple[str, ...], fmt: str) -> None:
    """Run DAG for every logical date of its schedule from START to END (YYYY-MM-DD, inclusive), in order.

    The dates are those of the DAG's timetable in its time zone (a weekly schedule: its weekdays only), as
    Airflow's backfill finds them. Each date is one `dop run` (its lock, log and run_results.json), with a line
    per date and a final table; the first failed date stops the backfill unless --continue-on-failure.
    A range without a scheduled date, or START after END, is an error (exit status 2).
    """
    _backfill(dag, project_dir, target, _date(start), _date(end), continue_on_failure, full_refresh, conf, select,
              exclude, fmt)


def _backfill(dag: str, project_dir: str | None, target: str | None, start: dt.date, end: dt.date,
              continue_on_failure: bool, full_refresh: bool, conf: str | None, select: tuple[str, ...],
              exclude: tuple[str, ...], fmt: str) -> None:
    from dop_core.cli.backfill import backfill, backfill_dates
    from dop_core.cli.run_checks import checked_run

    project, extra = _project(project_dir), _run_conf(conf)
    built, selection = checked_run(project, dag, target, start, extra, select, exclude)  # before the first date
    with _logs_to_stderr():
        dates = backfill_dates(built, start, end)
    _ran(backfill(project, dag, dates, continue_on_failure, full_refresh, target, extra, selection, fmt))


def _ran(code: int) -> NoReturn:
    """End ``dop run``/``dop backfill`` with ``code``, everything written. In the ``dop`` process itself, at once
    (:func:`~dop_core.cli.processes.exit_now`): a backfill imported Airflow to find its dates, and Airflow's exit
    handlers and module teardown cost seconds for nothing; called in-process (click's test runner), as usual."""
    if pathlib.Path(sys.argv[0]).name in ("dop", "main.py"):  # the console script, or python -m dop_core.cli.main
        from dop_core.cli.processes import exit_now

        exit_now(code)
    sys.exit(code)


def _run_conf(conf: str | None) -> dict[str, Any] | None:
    """``--conf``'s JSON object (checked against the DAG's params before the run)."""
    try:
        extra = json.loads(conf) if conf else None
    except ValueError as exc:
        raise click.BadParameter(f"--conf is not JSON: {exc}") from None
    if extra is not None and not isinstance(extra, dict):
        raise click.BadParameter("--conf must be a JSON object, e.g. '{\"key\": 1}'")
    return extra


@main.command()
@click.argument("path")
@click.option("--output-dir", default=".", type=click.Path(file_okay=False),
              help="The folder a relative PATH is in (default: here).")
@click.option("--no-input", is_flag=True,
              help="Ask nothing; take every default (also when not on a terminal).")
@click.option("--dbt/--no-dbt", "with_dbt", default=None,
              help="Include the dbt example (default: when the dop-dbt plugin is installed).")
@click.option("--run", "run_example", is_flag=True,
              help="Then run the example DAG (dop run example_covid19 --date 2024-06-01) in the new project.")
def init(path: str, output_dir: str, no_input: bool, with_dbt: bool | None, run_example: bool) -> None:
    """Create a new service project in the folder PATH, from the template (cookiecutter).

    The project is named after PATH's last part, which must be an identifier (letters, digits and _);
    missing parent folders are created, and an existing PATH must be an empty folder.
    """
    from dop_core.cli.init import create_project, next_steps
    from dop_core.schema.write import write_project_schemas

    root = create_project(path, output_dir, no_input=True if no_input else None, with_dbt=with_dbt)
    write_project_schemas(root)  # for the editor settings the template ships (.vscode/settings.json)
    click.echo(next_steps(root))
    if run_example:
        from dop_core.cli.run import run_dag

        sys.exit(run_dag(_project(str(root)), "example_covid19", dt.date(2024, 6, 1)))


@main.command()
@project_option
@target_option
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the UI on 127.0.0.1 (0: pick a free one).")
def airflow(project_dir: str | None, target: str | None, port: int) -> None:
    """Start Airflow 3 for the project on localhost (UI, scheduler, DAG processor, triggerer).

    Prints the URL and the login; Ctrl-C stops every component. The components stop too if this
    command is killed.
    """
    from dop_core.cli.airflow import serve

    sys.exit(serve(_project(project_dir), port=port, target=target))


@main.command("dag-files")
@project_option
@click.option("--groups", type=int, default=None,
              help="How many DAG files (default: one per 6 DAGs; 1 writes the one loader file dop init writes).")
def dag_files(project_dir: str | None, groups: int | None) -> None:
    """Write the project's Airflow DAG files in dags/: one per group of about six DAGs.

    Airflow re-parses a whole DAG file when one of its DAGs changes: with a file per group, an edit re-parses
    a few DAGs, not all of them, and a full pass still forks few processes (docs/performance.md). The DAG
    files DOP wrote before (dags/dop_dags.py, older group files) are replaced; run it again when the project
    has grown or shrunk much. Any other file of dags/ is left as it is.
    """
    from dop_core.cli.dag_files import write_dag_files

    project = _project(project_dir)
    written, removed = write_dag_files(project, groups)
    for path in written:
        click.echo(f"wrote {path.relative_to(project.root)}")
    for path in removed:
        click.echo(f"removed {path.relative_to(project.root)}")
    if not written and not removed:
        click.echo("the DAG files are up to date")


@main.command()
@project_option
@click.option("--bucket", required=True, help="The Cloud Composer environment's bucket, e.g. gs://europe-west2-env-1234-bucket.")
@click.option("--prefix", default=None, help="The project's own folder in the bucket, at least two levels deep "
              "(default: dags/<project name>); nothing outside it is touched.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted and uploaded; change nothing.")
def deploy(project_dir: str | None, bucket: str, prefix: str | None, dry_run: bool) -> None:
    """Sync the project to a Cloud Composer bucket (rsync: unchanged files skipped, removed files deleted)."""
    from dop_core.cli.deploy import deploy_project

    plan = deploy_project(_project(project_dir), bucket, prefix, dry_run=dry_run, echo=click.echo)
    sys.exit(0 if plan is not None else 1)



@main.command()
@project_option
@target_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="json: a list of {name, status, message, fix} on stdout.")
def doctor(project_dir: str | None, target: str | None, fmt: str) -> None:
    """Check the environment, as `dbt debug` does: each line ok, warn or fail, with a fix.

    Python and Airflow versions, installed plugins and what they register (or why they failed to load),
    each target's warehouse reachable with its credentials (SELECT 1; BigQuery only with the google extra; a
    target other than the one in use only warns),
    the project's .dop folder and the parse cache writable, and each plugin's own checks (dop-dbt: its dbt
    virtualenv; dop-spark: Java). Exit status 1 when a check fails, 0 otherwise (warnings pass).
    """
    from dop_core.cli.doctor import exit_status, run_checks

    with _logs_to_stderr():
        checks = run_checks(project_dir, target)
    if fmt == "json":
        click.echo(json.dumps([check.as_dict() for check in checks], indent=2))
    else:
        width = max(len(check.name) for check in checks)
        for check in checks:
            click.echo(f"{check.status:<4}  {check.name.ljust(width)}  {check.message}")
            if check.fix and check.status != "ok":
                click.echo(f"      {''.ljust(width)}  fix: {check.fix}")
        failed = sum(check.status == "fail" for check in checks)
        warned = sum(check.status == "warn" for check in checks)
        click.echo(f"\n{len(checks)} checks: {failed} failed, {warned} warning(s)")
    sys.exit(exit_status(checks))


@main.command("new-plugin")
@click.argument("name")
@click.option("--output-dir", default=".", type=click.Path(file_okay=False),
              help="Where to create the plugin's folder dop-NAME (default: here).")
@click.option("--no-input", is_flag=True, help="Ask nothing; take every default (also when not on a terminal).")
def new_plugin(name: str, output_dir: str, no_input: bool) -> None:
    """Create dop-NAME, a plugin distribution (entry point, task kind, options, tests) from the template."""
    from dop_core.cli.new_plugin import create_plugin, next_steps

    click.echo(next_steps(create_plugin(name, output_dir, no_input=True if no_input else None)))


if __name__ == "__main__":
    main()
