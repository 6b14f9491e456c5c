"""Write the JSON Schemas of a project's files where its editor settings point (``.dop/schema/`` by default)."""

from __future__ import annotations

import json
import pathlib

from dop_core.contract.registry import Registry, get_registry
from dop_core.schema.documents import SCHEMAS

#: where `dop schema` and `dop init` write the schemas, relative to the project folder (the template's
#: .vscode/settings.json points there)
DEFAULT_FOLDER = pathlib.Path(".dop") / "schema"


def write_schemas(folder: pathlib.Path, registry: Registry | None = None) -> tuple[list[pathlib.Path], list[str]]:
    """Write every schema into ``folder`` (made if missing); return the files written and warnings (plugins whose
    options could not be read: there, any options are accepted)."""
    registry = registry or get_registry()
    folder.mkdir(parents=True, exist_ok=True)
    written, warnings = [], list(registry.errors)
    for name, make in SCHEMAS.items():
        path = folder / name
        path.write_text(json.dumps(make(registry, warnings), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written, warnings


def write_project_schemas(root: pathlib.Path) -> tuple[list[pathlib.Path], list[str]]:
    """Write the schemas into the project's ``.dop/schema`` (DOP's local state: a folder only the user enters)."""
    from dop_core.util.private import private_dir

    return write_schemas(private_dir(root / DEFAULT_FOLDER, under=root))
