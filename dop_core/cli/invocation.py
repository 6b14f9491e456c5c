"""How the user runs ``dop`` here, so that the commands DOP prints (``dop init``'s "Next:") work as printed.

The spelling depends on how DOP was installed: ``uv run dop`` in a uv project, ``uvx --from dop-core dop`` in
one of uv's throw-away environments, plain ``dop`` when the ``dop`` on PATH is this one, else after activating
the virtualenv DOP is installed in (or by the script's full path).
"""

from __future__ import annotations

import os
import pathlib
import shlex
import shutil
import sys
import sysconfig

import attrs


@attrs.frozen
class Invocation:
    #: what comes before a subcommand: ``dop``, ``uv run dop``, ``uvx --from dop-core dop``...
    command: str
    #: commands to run once before (activating a virtualenv), with what each does
    setup: tuple[tuple[str, str], ...] = ()


def invocation(project: pathlib.Path) -> Invocation:
    """How to run this installation of ``dop`` from ``project`` (a folder it just created)."""
    env = os.environ
    scripts = pathlib.Path(sysconfig.get_path("scripts"))
    if env.get("UV_RUN_RECURSION_DEPTH") and env.get("VIRTUAL_ENV"):  # `uv run dop ...`
        root = pathlib.Path(env["VIRTUAL_ENV"]).parent
        if (root / "pyproject.toml").is_file():
            inside = project == root or root in project.parents
            return Invocation("uv run dop" if inside else f"uv run --project {shlex.quote(str(root))} dop")
    if env.get("UV") and pathlib.Path(sys.prefix).parent.name.startswith("archive-v"):  # `uvx --from dop-core`
        return Invocation(_uvx())
    script = scripts / ("dop.exe" if os.name == "nt" else "dop")
    found = shutil.which("dop")
    if found and script.exists() and os.path.samefile(found, script):
        return Invocation("dop")
    activate = scripts / ("activate.bat" if os.name == "nt" else "activate")
    if sys.prefix != sys.base_prefix and activate.is_file():
        line = str(activate) if os.name == "nt" else f"source {shlex.quote(str(activate))}"
        return Invocation("dop", ((line, "the virtualenv DOP is installed in"),))
    if script.exists():
        return Invocation(shlex.quote(str(script)))
    return Invocation(f"{shlex.quote(sys.executable)} -m dop_core.cli.main")


def _uvx() -> str:
    """``uvx --from dop-core[google] --with dop-dbt dop``: what this throw-away environment was made from."""
    from importlib.metadata import distributions

    from dop_core.extras import GOOGLE_EXTRA

    plugins = sorted({d.metadata["Name"] for d in distributions()
                      if d.metadata["Name"] != "dop-core" and any(e.group == "dop" for e in d.entry_points)})
    core = "dop-core[google]" if not GOOGLE_EXTRA.missing() else "dop-core"
    return " ".join(["uvx", "--from", shlex.quote(core), *(f"--with {shlex.quote(p)}" for p in plugins), "dop"])
