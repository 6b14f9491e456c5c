"""dbt's ``manifest.json`` read at parse time for ``options.expand``: plain JSON, never dbt.

The manifest is what ``dbt parse`` (or ``compile``, ``run``...) leaves in the project's target folder;
a ``kind: {action: dbt, target: parse}`` task, or ``python -m dop_dbt parse <project>``, writes it.
It is cached by modification time, so Airflow's frequent re-parses read it once per change.
"""

from __future__ import annotations

import fnmatch
import json
import pathlib
from typing import Any

import attrs


@attrs.frozen
class Model:
    unique_id: str
    name: str
    path: str
    tags: tuple[str, ...]
    depends_on: tuple[str, ...]  # unique ids of upstream models
    tests: tuple[str, ...]  # unique ids of the tests on this model


@attrs.frozen
class Manifest:
    models: dict[str, Model]  # by unique_id

    def select(self, patterns: list[str]) -> list[Model]:
        """Models matching any of ``patterns`` (name, glob, ``tag:x``, ``path:folder``); all without patterns."""
        chosen = []
        for model in self.models.values():
            if not patterns or any(_matches(model, p) for p in patterns):
                chosen.append(model)
        return sorted(chosen, key=lambda m: m.name)


def _matches(model: Model, pattern: str) -> bool:
    if pattern.startswith("tag:"):
        return pattern[4:] in model.tags
    if pattern.startswith("path:"):
        prefix = pattern[5:].rstrip("/")
        return model.path == prefix or model.path.startswith(prefix + "/") or \
            ("models/" + model.path).startswith(prefix + "/")
    return fnmatch.fnmatchcase(model.name, pattern)


_CACHE: dict[pathlib.Path, tuple[float, Manifest]] = {}


def load(path: pathlib.Path) -> Manifest:
    mtime = path.stat().st_mtime
    cached = _CACHE.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    nodes = data.get("nodes") or {}
    tests: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        if node.get("resource_type") == "test":
            for dep in (node.get("depends_on") or {}).get("nodes") or []:
                tests.setdefault(dep, []).append(uid)
    models = {}
    for uid, node in nodes.items():
        if node.get("resource_type") != "model":
            continue
        deps = [d for d in (node.get("depends_on") or {}).get("nodes") or [] if d.startswith("model.")]
        models[uid] = Model(unique_id=uid, name=str(node.get("name")), path=str(node.get("path") or ""),
                            tags=tuple(node.get("tags") or ()), depends_on=tuple(deps),
                            tests=tuple(sorted(tests.get(uid, ()))))
    manifest = Manifest(models)
    _CACHE[path] = (mtime, manifest)
    return manifest
