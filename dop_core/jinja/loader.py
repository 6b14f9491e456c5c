"""The Jinja loader of DOP's DAGs: Airflow's file loader, refusing files whose real location is outside
the project (a SQL file, or a template it includes, that is a symbolic link to ``/etc/passwd``).

Given to each DAG as ``jinja_environment_kwargs={"loader": ...}``, so every template Airflow reads for a
task (the ``.sql`` of a templated field, an ``{% include %}``) and ``dop compile`` go through it.
"""

from __future__ import annotations

import os
import posixpath
import stat
from typing import Any

import jinja2
from jinja2.loaders import split_template_path

from dop_core.config.models import Project
from dop_core.config.paths import OutsideProject, resolve_project_path
from dop_core.errors import DopError


class RefusedTemplate(DopError, jinja2.TemplateError):
    """A template whose real location is outside the project (a Jinja error, and one of DOP's)."""

    message: str = ""  # DopError's field, in place of jinja2.TemplateError's read-only property


class ProjectLoader(jinja2.FileSystemLoader):
    """``FileSystemLoader(searchpath)`` that reads only files inside the project or its data folders."""

    def __init__(self, searchpath: list[str], project: Project):
        super().__init__(searchpath)
        self.project = project
        self._plain: dict[str, bool] = {}  # folder -> inside the project with no link on the way to it

    def __deepcopy__(self, memo: dict[int, Any]) -> ProjectLoader:  # Airflow deep-copies DAGs: share it
        return self

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            candidate = posixpath.join(folder, *pieces)
            try:
                mode = os.lstat(candidate).st_mode
            except OSError:
                continue
            # A regular file (not a link) in a folder known to be plain is inside: one lstat, as Airflow
            # reads every SQL file at every parse. Anything else has its links followed to where they lead.
            if not (stat.S_ISREG(mode) and self._plain_folder(posixpath.dirname(candidate))):
                if not os.path.isfile(candidate):
                    continue
                try:
                    resolve_project_path(self.project, candidate, what="template")
                except OutsideProject as exc:  # TemplateNotFound's message is the name only: no content
                    raise RefusedTemplate(f"refusing to read {template}: {exc}") from None
            break
        return super().get_source(environment, template)

    def _plain_folder(self, folder: str) -> bool:
        """Whether ``folder`` is inside the project with no symbolic link on the way to it (once per folder)."""
        if folder not in self._plain:
            try:
                self._plain[folder] = os.fspath(resolve_project_path(self.project, folder)) == os.path.normpath(folder)
            except OutsideProject:
                self._plain[folder] = False
        return self._plain[folder]
