"""``dop new-plugin``: start a DOP plugin distribution from the cookiecutter template shipped with dop-core.

The template is ``contrib/plugin_template/`` in the source repository; the dop-core wheel carries it as
``dop_core/templates/plugin_template``. ``cookiecutter contrib/plugin_template`` renders the same
files. NAME ``my-thing`` gives the distribution ``dop-my-thing``, the package ``dop_my_thing``, the
entry point ``my_thing`` in group ``dop`` and the task kind ``{action: my_thing, target: message}``.
"""

from __future__ import annotations

import os
import pathlib
import re
import sys

from dop_core.errors import DopError

TEMPLATE_PARTS = ("templates", "plugin_template")
_NAME = re.compile(r"[a-z][a-z0-9]*([-_][a-z0-9]+)*")


def template_dir() -> pathlib.Path:
    """The template folder: inside the installed package, else in ``contrib/`` of a source checkout."""
    here = pathlib.Path(__file__).resolve().parents[1]  # the dop_core package
    candidates = (here.joinpath(*TEMPLATE_PARTS), here.parent / "contrib" / "plugin_template")
    for candidate in candidates:
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise DopError(
        f"the plugin template is missing from this installation (looked in {candidates[0]}); "
        "reinstall dop-core"
    )


def plugin_name(name: str) -> str:
    """The plugin's short name for NAME (``dop-foo`` and ``Foo`` both mean ``foo``); DopError if unusable."""
    short = name.strip().lower()
    for prefix in ("dop-", "dop_"):
        short = short.removeprefix(prefix)
    if not _NAME.fullmatch(short):
        raise DopError(
            f"cannot make a plugin name from {name!r}: use lowercase letters and digits, words joined "
            "by - or _, starting with a letter (e.g. `dop new-plugin my-warehouse`)"
        )
    return short


def create_plugin(
    name: str,
    output_dir: str | os.PathLike[str] = ".",
    no_input: bool | None = None,
    extra: dict[str, str] | None = None,
) -> pathlib.Path:
    """Render the template into ``output_dir/dop-<name>``; return the new distribution's folder.

    ``no_input=None`` asks the template's questions only when stdin is a terminal.
    """
    from cookiecutter.exceptions import CookiecutterException, FailedHookException

    from dop_core.cli.init import run_cookiecutter

    if no_input is None:
        no_input = not sys.stdin.isatty()
    short = plugin_name(name)
    out = pathlib.Path(output_dir).resolve()
    dist = "dop-" + short.replace("_", "-")
    if (out / dist).exists():
        raise DopError(f"{out / dist} already exists; pick another name or --output-dir")
    context = {"plugin_name": short, "core_requirement": core_requirement(), **(extra or {})}
    try:
        created = run_cookiecutter(template_dir(), no_input=no_input, extra_context=context, output_dir=str(out))
    except FailedHookException as exc:
        raise DopError(f"the plugin name was refused: {exc}") from None
    except CookiecutterException as exc:
        raise DopError(f"creating the plugin failed: {exc}") from None
    return pathlib.Path(created)


def core_requirement(version: str | None = None) -> str:
    """The dop-core releases a new plugin is bound to: this one's minor series (``dop-core>=0.1,<0.2``), or
    its major series from 1.0 on (``dop-core>=1.2,<2``)."""
    from dop_core import __version__

    major, minor = (int(part) for part in (version or __version__).split(".")[:2])
    upper = f"{major}.{minor + 1}" if major == 0 else str(major + 1)
    return f"dop-core>={major}.{minor},<{upper}"


def next_steps(folder: pathlib.Path) -> str:
    from dop_core.util.urls import doc

    rel = os.path.relpath(folder)
    entry_point = folder.name.removeprefix("dop-").replace("-", "_")
    return (
        f"Created the DOP plugin {folder.name} in {rel}\n\n"
        "Next:\n"
        f"  pip install -e '{rel}[test]'  # installs its `dop` entry point `{entry_point}`\n"
        f"  dop plugins  # lists {entry_point} ({folder.name})\n"
        f"  pytest {rel}/tests\n"
        f"Then edit its plugin.py, options.py and operator.py (guide: {doc('plugins.md')}).\n"
    )
