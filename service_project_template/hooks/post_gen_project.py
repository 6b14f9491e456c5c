"""Drop the dbt example when the project is created without dbt."""

import pathlib
import shutil

if "{{ cookiecutter.with_dbt }}" != "yes":
    for folder in ("dbt", "orchestration/example_dbt"):
        shutil.rmtree(pathlib.Path(folder), ignore_errors=True)
