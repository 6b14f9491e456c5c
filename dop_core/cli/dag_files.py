"""``dop dag-files``: the project's Airflow DAG files, one per group of about six DAGs (or one loader file).

Airflow parses each DAG file in a process of its own and re-parses a whole file when one of its DAGs
changes: one loader file makes a full pass cheap and the re-parse after an edit costly (every DAG of the
project), a file per group of a few DAGs keeps both cheap (docs/performance.md). This writes
``dags/dop_dags_<i>.py`` for ``i < K`` and removes the DAG files DOP wrote before (the one loader file
``dags/dop_dags.py``, other group files, per-DAG files), so that every DAG is built by exactly one file.
A file in ``dags/`` that calls ``build_dags`` but is not one DOP writes is never touched: the command
stops and names it, since keeping it beside the new files would build its DAGs twice.
"""

from __future__ import annotations

import math
import pathlib
import re

from dop_core.config.models import Project
from dop_core.errors import DopError

#: the DAGs per file that keeps both the DAG processor's full pass and the re-parse after an edit cheap
DAGS_PER_FILE = 6

SINGLE = ("from dop_core import build_dags\n\n"
          "globals().update(build_dags(__file__))  # the Airflow DAGs of every folder under orchestration/\n")
# (Airflow's DAG processor skips a file that does not say both "airflow" and "dag": the comment does)
GROUP = ("# The Airflow DAGs of group {i} of {k} (written by `dop dag-files`: run it again rather than editing).\n"
         "from dop_core import build_dags\n\nglobals().update(build_dags(__file__, group={i}, groups={k}))\n")

_STATEMENTS = re.compile(r"from dop_core import build_dags\n"
                         r"globals\(\)\.update\(build_dags\(__file__(, group=\d+, groups=\d+|, only=\"[\w.-]+\")?\)\)")
_COMMENT = re.compile(r"\s+#.*$")


def default_groups(project: Project) -> int:
    """One file per ``DAGS_PER_FILE`` DAGs (at least one)."""
    return max(1, math.ceil(len(project.dag_folders()) / DAGS_PER_FILE))


def written_by_dop(text: str) -> bool:
    """Whether ``text`` is a DAG file DOP writes (comments and blank lines aside)."""
    lines = [_COMMENT.sub("", line).rstrip() for line in text.splitlines()]
    code = "\n".join(line for line in lines if line and not line.lstrip().startswith("#"))
    return _STATEMENTS.fullmatch(code) is not None


def write_dag_files(project: Project, groups: int | None = None) -> tuple[list[pathlib.Path], list[pathlib.Path]]:
    """Write the project's DAG files for ``groups`` files (default :func:`default_groups`); the files written
    and the files removed. DopError, before anything changes, if a file of ``dags/`` calls ``build_dags`` and
    is not one DOP writes."""
    assert project.root is not None
    dags = len(project.dag_folders())
    k = default_groups(project) if groups is None else groups
    if not 1 <= k <= max(dags, 1):
        raise DopError(f"--groups {k}: the project has {dags} DAG(s), so {k} DAG files would leave "
                       + ("none to build them" if k < 1 else "some empty"),
                       expected=f"a whole number from 1 to {max(dags, 1)}",
                       fix=f"give --groups {default_groups(project)} (one file per {DAGS_PER_FILE} DAGs), "
                           "or leave it out")
    folder = project.root / "dags"
    wanted = {folder / "dop_dags.py": SINGLE} if k == 1 else \
        {folder / f"dop_dags_{i}.py": GROUP.format(i=i, k=k) for i in range(k)}
    ours = []
    for path in sorted(folder.glob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if written_by_dop(text):
            ours.append(path)
        elif "build_dags" in text and path not in wanted:
            raise DopError(f"{path.relative_to(project.root)} calls build_dags but is not a DAG file DOP writes: "
                           "kept beside the new files, it would build its DAGs a second time",
                           expected="only DAG files written by dop init or dop dag-files in dags/",
                           fix=f"remove {path.relative_to(project.root)} (or move what else it does to another "
                               "file), then run dop dag-files again")
        elif path in wanted:
            raise DopError(f"{path.relative_to(project.root)} is not a DAG file DOP writes; refusing to overwrite it",
                           fix=f"rename {path.relative_to(project.root)}, then run dop dag-files again")
    folder.mkdir(exist_ok=True)
    written = []
    for path, text in wanted.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    removed = [path for path in ours if path not in wanted]
    for path in removed:
        path.unlink()
    return written, removed
