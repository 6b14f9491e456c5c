"""One redaction layer: what DOP logs, prints, writes to ``.dop/logs/`` or stores in Airflow goes through it.

What it knows:

- **URLs with credentials**, any scheme: ``ftp://user:password@host/...``. The password may hold any
  character, ``@``, ``:`` and ``/`` included, percent-encoded or not: it runs up to the last ``@``
  that is followed by a host name. The user name stays visible (``ftp://user:***@host/...``).
- **DSNs in key=value form**: ``password=...`` (also ``passwd``, ``pwd``), bare or quoted with ``'`` or
  ``"`` (backslash escapes inside quotes).
- **Tokens and keys**: ``Bearer ...``, Google access tokens (``ya29.``), ``access_token=``/
  ``client_secret: "..."``-style pairs, PEM private keys.
- **Registered values** (:func:`register_secrets`): target secrets (:func:`target_secrets`: the keys an engine
  declares in ``EngineType.secrets`` and keys named like ``password``/``secret``/``token``), and every
  credential found in the shapes above, in its raw, percent-decoded and percent-encoded spellings.
- **Airflow's secrets maskers** (task SDK and core, when Airflow is loaded): whatever Airflow masks
  (connection passwords, Variables with sensitive names) :func:`redact` masks too; and what DOP
  registers it also gives Airflow (``mask_secret``), so Airflow's own task logs, rendered fields and
  exception messages hide it as well.

Values an operator needs in clear when it runs (the real URL of an egress) are split with
:func:`hide_credentials` at parse time: the template field, hence the serialized DAG and the rendered fields,
holds the redacted text, and the operator keeps the credentials in a private attribute (never
serialized; rebuilt from the project's config when the task process parses the DAG file) to
:func:`reveal_credentials` them inside ``execute``.

Registered values shorter than :data:`MIN_LENGTH` characters are not replaced wherever they appear
(they would hit ordinary words, as Airflow's ``min_length_masked_secret`` avoids); they are still
hidden in the shapes above. Importing this module is cheap: Airflow is never imported by it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, unquote

if TYPE_CHECKING:
    pass

#: what a secret is replaced with (Airflow's replacement too)
MASK = "***"
#: registered values shorter than this are not replaced on their own (Airflow's default minimum)
MIN_LENGTH = 5

_SECRET_WORDS = ("password", "passwd", "secret", "token", "dsn", "private_key", "keyfile", "credential",
                 "api_key", "apikey")
# scheme://user:PASSWORD@host: the password is greedy and backtracks to the last "@host" that the end
# of a host follows (a port, path, query, fragment, quote, whitespace or the end of the text)
_URL = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@\"'<>]*:)(?P<secret>[^\s\"<>]*)"
                  r"(?P<tail>@[^\s/@:?#\"'<>\\]+)(?=[:/?#\s\"'<>\\]|$)")
_KEY_VALUE = re.compile(r"(?P<head>\b(?:password|passwd|pwd)\s*=\s*)"
                        r"(?P<secret>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s'\"]\S*)", re.IGNORECASE)
_TOKENS = (
    re.compile(r"(?P<head>\bbearer\s+)(?P<secret>[A-Za-z0-9._~+/=-]+)", re.IGNORECASE),
    re.compile(r"(?P<head>)(?P<secret>\bya29\.[A-Za-z0-9._-]+)"),
    re.compile(r"(?P<head>\"?(?:access_token|refresh_token|id_token|client_secret|private_key)\"?\s*[:=]\s*)"
               r"(?P<secret>\"[^\"]*\"|'[^']*'|[^\s,;&]+)", re.IGNORECASE),
    re.compile(r"(?P<head>)(?P<secret>-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----)",
               re.DOTALL),
)
# each shape with the words (lowercase) one of which a text must hold for the shape to be tried: the
# scan for them is what most texts (SQL, log lines without credentials) cost
_SHAPES = (
    (_URL, ("://",)),
    (_KEY_VALUE, ("password", "passwd", "pwd")),
    (_TOKENS[0], ("bearer",)),
    (_TOKENS[1], ("ya29.",)),
    (_TOKENS[2], ("access_token", "refresh_token", "id_token", "client_secret", "private_key")),
    (_TOKENS[3], ("private key",)),
)


def _shapes(text: str) -> Iterator[re.Pattern[str]]:
    """The shapes worth trying on ``text``."""
    lower = text.lower()
    for shape, words in _SHAPES:
        if any(word in lower for word in words):
            yield shape


# Airflow's maskers: the task SDK's (task logs, rendered fields; its mask_secret also tells the
# supervisor that writes the task log) and the core's (the API server, the DAG processor)
_SDK_MASKER, _CORE_MASKER = "airflow.sdk._shared.secrets_masker", "airflow._shared.secrets_masker"


class _Registry:
    """The values registered in this process, as one regular expression (longest first)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._untold: list[str] = []  # not given to Airflow's maskers yet (Airflow was not loaded)
        self._lock = threading.Lock()
        self.pattern: re.Pattern[str] | None = None

    def add(self, values: Iterable[str]) -> None:
        """Add ``values`` (those long enough to be replaced on their own)."""
        with self._lock:
            new = [v for v in dict.fromkeys(values) if len(v) >= MIN_LENGTH and v != MASK and v not in self._values]
            if new:
                self._values.update(new)
                self._untold += new
                ordered = sorted(self._values, key=len, reverse=True)
                self.pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def untold(self) -> list[str]:
        """The values Airflow's maskers have not been given yet (from now on they count as given)."""
        with self._lock:
            found, self._untold = self._untold, []
            return found


_registry = _Registry()


def spellings(secret: str) -> list[str]:
    """``secret`` as it may be written: raw, percent-decoded and percent-encoded (path and form style)."""
    found = [secret]
    if "%" in secret:
        found.append(unquote(secret))
    for value in list(found):
        found += [quote(value, safe=""), quote_plus(value, safe="")]
    return list(dict.fromkeys(v for v in found if v))


def _unquoted(secret: str) -> str:
    if len(secret) >= 2 and secret[0] == secret[-1] and secret[0] in "'\"":
        return re.sub(r"\\(.)", r"\1", secret[1:-1])
    return secret


def _masked(match: re.Match[str]) -> str:
    return match["head"] + MASK + (match.groupdict().get("tail") or "")


def find_credentials(text: str) -> list[str]:
    """The credentials in ``text``: URL passwords, ``password=`` values, tokens and keys (also unquoted)."""
    found: list[str] = []
    for shape in _shapes(text):
        for match in shape.finditer(text):
            if match["secret"] and match["secret"] != MASK:
                found += [match["secret"], _unquoted(match["secret"])]
    return list(dict.fromkeys(found))


def _airflow_maskers() -> Iterator[Any]:
    for name in (_SDK_MASKER, _CORE_MASKER):
        module = sys.modules.get(name)
        if module is not None:
            yield module


def register_secrets(*secrets: str | None) -> None:
    """Mask these values from now on, in every spelling: in :func:`redact` and in Airflow's maskers.

    Airflow is told only when it is loaded (a DAG parse, a task, ``dop run``'s child): ``dop validate``
    never imports it.
    """
    _registry.add(s for secret in secrets if secret for s in spellings(str(secret)))
    if "airflow" not in sys.modules:
        return
    new = _registry.untold()
    if not new:
        return
    from airflow.sdk.log import mask_secret  # the task SDK's: it also tells a task's supervisor

    core = sys.modules.get(_CORE_MASKER)
    for value in new:
        mask_secret(value)
        if core is not None:
            core.mask_secret(value)


def option_secrets(options: Any, keys: Iterable[str] = ()) -> list[str]:
    """The secret values in a mapping of options (nested mappings too): those of ``keys`` and of keys named
    like a secret (``password``, ``secret``, ``token``...), and the credentials inside any string."""
    values: list[str] = []
    for key, value in (options or {}).items():
        if isinstance(value, dict):
            values += option_secrets(value)
        elif value not in (None, "") and (key in keys or any(w in str(key).lower() for w in _SECRET_WORDS)):
            values.append(str(value))
        if isinstance(value, str):
            values += find_credentials(value)
    return values


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with every credential that DOP and Airflow know of, and each of ``secrets``, as ``***``."""
    if not text:
        return text
    for masker in _airflow_maskers():
        redacted = masker.redact(text)
        if isinstance(redacted, str):
            text = redacted
    extra = {s for secret in secrets if secret for s in spellings(str(secret))}
    for secret in sorted(extra, key=len, reverse=True):
        text = text.replace(secret, MASK)
    pattern = _registry.pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    for shape in _shapes(text):
        text = shape.sub(lambda m: _masked(m) if m["secret"] else m[0], text)
    return text


Credentials = tuple[tuple[str, str], ...]


def hide_credentials(text: str) -> tuple[str, Credentials]:
    """``text`` with its credentials masked, and what :func:`reveal_credentials` needs to put them back.

    For a value an operator needs in clear when it runs: store the hidden text where Airflow can see it
    (template fields are serialized and rendered into the Airflow database), keep the credentials in a
    private attribute, reveal them inside ``execute``. What is found is registered (:func:`register_secrets`).
    """
    pairs: list[tuple[str, str]] = []

    def hidden(match: re.Match[str]) -> str:
        secret = match["secret"]
        if not secret or secret == MASK or "{{" in secret or "{%" in secret:  # a template: hidden once rendered
            return match[0]
        shown = _masked(match)
        pairs.append((shown, match[0]))
        return shown

    for shape in _shapes(text):
        text = shape.sub(hidden, text)
    register_secrets(*(s for _, real in pairs for s in find_credentials(real)))
    return text, tuple(pairs)


def reveal_credentials(text: str, credentials: Credentials) -> str:
    """``text`` (hidden by :func:`hide_credentials`, then maybe rendered) with its credentials back, in order."""
    for shown, real in credentials:
        text = text.replace(shown, real, 1)
    return text


class RedactingWriter(io.TextIOBase):
    """A text stream that redacts each complete line before writing it to ``stream``.

    Text is held until its line ends (a credential is never cut in two), or until :meth:`flush`.
    """

    def __init__(self, stream: Any):
        super().__init__()
        self.stream = stream
        self._pending = ""

    @property
    def encoding(self) -> Any:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    @property
    def errors(self) -> Any:  # type: ignore[override]
        return getattr(self.stream, "errors", "strict")

    def isatty(self) -> bool:
        return bool(self.stream.isatty())

    def fileno(self) -> int:
        return int(self.stream.fileno())

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        lines, end, self._pending = (self._pending + text).rpartition("\n")
        if end:
            self.stream.write(redact(lines + end))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.stream.write(redact(self._pending))
            self._pending = ""
        self.stream.flush()


def _flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


@contextlib.contextmanager
def redacted_stdio() -> Iterator[None]:
    """Within the block, everything written to ``sys.stdout`` and ``sys.stderr`` goes through :func:`redact`."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = RedactingWriter(saved[0]), RedactingWriter(saved[1])
    try:
        yield
    finally:
        _flush_stdio()
        sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def redacted_fds(timeout: float = 10.0) -> Iterator[int]:
    """Within the block, this process's file descriptors 1 and 2 (so its subprocesses' too) go through
    :func:`redact`, line by line, to where descriptor 1 pointed: stderr is merged into stdout, as
    ``dop run`` reads its child's output. Yields a descriptor of that original destination, for what
    must reach it unredacted and at once (nothing secret).

    A thread reads a pipe and redacts each line when it reads it: Airflow's maskers and DOP's
    registry know by then every secret registered before the line was written.
    """
    _flush_stdio()
    read_end, write_end = os.pipe()
    target, saved_err = os.dup(1), os.dup(2)
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)
    pump = threading.Thread(target=_pump, args=(read_end, target), name="dop-redacted-output", daemon=True)
    pump.start()
    try:
        yield target
    finally:
        _flush_stdio()
        os.dup2(target, 1)
        os.dup2(saved_err, 2)
        os.close(saved_err)
        pump.join(timeout)  # the pipe ends when every writer (subprocesses too) has closed it
        if not pump.is_alive():
            os.close(target)


def _pump(read_end: int, target: int) -> None:
    pending = b""
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            lines, end, pending = (pending + chunk).rpartition(b"\n")
            if end:
                _write_all(target, redact((lines + end).decode("utf-8", "replace")).encode("utf-8"))
    if pending:
        _write_all(target, redact(pending.decode("utf-8", "replace")).encode("utf-8"))


def _write_all(fd: int, data: bytes) -> None:
    with contextlib.suppress(OSError):
        while data:
            data = data[os.write(fd, data):]
