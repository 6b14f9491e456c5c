"""Errors that teach: every problem names where it is, what was expected and how to fix it.

These sit beneath every part of DOP (reading a config needs them first); plugins get them from
``dop_core``. The message, the location, what was expected and the fix are fields, never text to split.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs


@attrs.frozen(order=True)
class Location:
    """A place in a file; line and column count from 1, as editors show them."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@attrs.frozen
class Problem:
    """One thing wrong (or worth a warning) in a project's configuration."""

    location: Location
    message: str
    expected: str | None = None
    fix: str | None = None
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message}"
        if self.expected:
            text += f"\n    expected: {self.expected}"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


class DopError(Exception):
    """Base class of every error DOP raises on purpose.

    ``message`` is what is wrong; ``expected`` (what would be right) and ``fix`` (how to get there) are
    optional fields, kept apart: :meth:`problem` carries them into a located :class:`Problem`; shown as
    text (the ``dop`` command, a task's log), each is on a line of its own, as a :class:`Problem` shows them.
    """

    def __init__(self, *args: object, expected: str | None = None, fix: str | None = None):
        super().__init__(*args)
        self.message = str(args[0]) if args else ""
        self.expected = expected
        self.fix = fix

    def __str__(self) -> str:
        text = super().__str__()
        if self.expected:
            text += f"\n    expected: {self.expected}"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text

    def problem(self, location: Location, severity: str = "error") -> Problem:
        """This error as the problem at ``location``, its fields kept apart."""
        return Problem(location, self.message, self.expected, self.fix, severity)


class ConfigError(DopError):
    """One or more problems in a project's configuration, each with its file, line and column."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=lambda p: p.location)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def location(self) -> Location:
        return self.problems[0].location


def shown(exc: DopError) -> tuple[str, int]:
    """How the ``dop`` command shows ``exc`` (on stderr) and the exit status it ends with: a config error as its
    located problems, any other as ``error: <message>`` with its expected and fix lines."""
    if isinstance(exc, ConfigError):
        return str(exc), 1
    return f"error: {exc}", getattr(exc, "exit_code", 1)


class PluginError(DopError):
    """A plugin is broken or two plugins claim the same name."""


class LookupProblem(DopError, LookupError):
    """A name nothing registers (an action, a task target, a trigger kind, an egress destination, an engine):
    the message says what is installed, ``fix`` what to install or write instead."""


class EngineError(DopError):
    """A warehouse engine failed to run a task's SQL; the message names the task and the file."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class TaskFailed(EngineError):
    """A task ran and its verdict is failure (an assertion returned a failing row, a table's columns no
    longer match): the message says what and what to do, and DOP shows it as the kind wrote it."""
