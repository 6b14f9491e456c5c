"""Runs on a temporary copy of the template before any question: `with_dbt` defaults to "yes"
when the dop-dbt plugin is installed in this Python environment."""

import json
import pathlib
from importlib.metadata import PackageNotFoundError, distribution

try:
    distribution("dop-dbt")
    found = True
except PackageNotFoundError:
    found = False

path = pathlib.Path("cookiecutter.json")
context = json.loads(path.read_text(encoding="utf-8"))
context["with_dbt"] = ["yes", "no"] if found else ["no", "yes"]
path.write_text(json.dumps(context, indent=2), encoding="utf-8")
