"""Refuse a project slug DOP cannot use as a project name."""

import re
import sys

slug = "{{ cookiecutter.project_slug }}"
if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", slug):
    print(f"error: project_slug {slug!r} must be letters, digits and _ (not starting with a digit), "
          "e.g. my_project", file=sys.stderr)
    sys.exit(1)
