"""Keep credentials out of logs, rendered templates and error messages."""

from __future__ import annotations

import re

from dop_core.project import Target

_SECRET_WORDS = ("password", "secret", "token", "dsn", "private_key", "keyfile")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def secret_values(target: Target) -> list[str]:
    """The values of the target's secret keys (as its engine declares them), longest first."""
    from dop_core.plugins import get_registry

    try:
        keys = get_registry().named("engine", target.engine).secrets
    except LookupError:
        keys = ()
    values = [str(target.options[k]) for k in keys if target.options.get(k) not in (None, "")]
    values += [str(v) for k, v in target.options.items()
               if any(w in k.lower() for w in _SECRET_WORDS) and v not in (None, "")]
    return sorted(set(values), key=len, reverse=True)


def redact(text: str, target: Target) -> str:
    """``text`` with every secret of ``target`` replaced by ``***`` (and passwords in URLs hidden)."""
    for value in secret_values(target):
        text = text.replace(value, "***")
    return _URL_PASSWORD.sub(r"\1***@", text)


