"""Optional parts of DOP that come with an extra, such as ``pip install 'dop-core[google]'`` for Google Cloud.

``pip install dop-core`` brings what the local journey needs (DuckDB, Airflow). Google Cloud support
(BigQuery targets and triggers, GCS triggers and destinations, Dataproc, ``dop deploy`` to Cloud Composer)
is the ``google`` extra. A task kind, trigger, egress destination or engine that needs an extra says so
(``requires=GOOGLE_EXTRA`` on its record): validation then reports, at the config line that asks for it,
exactly what to install, and the code that would import the missing library raises the same message
instead of an ImportError.

Whether an extra is installed is read from the installed distributions' metadata, so checking it imports
none of them (DAG parsing stays light).
"""

from __future__ import annotations

import functools

import attrs

from dop_core.errors import DopError, Location, Problem


@attrs.frozen
class Extra:
    """Distributions that come with ``pip install '<requirement>'``, and what they are for."""

    #: what to install, e.g. ``dop-core[google]``
    requirement: str
    #: the distributions it brings that DOP's code imports
    distributions: tuple[str, ...]
    #: what it gives, e.g. ``Google Cloud support``
    what: str

    @property
    def install(self) -> str:
        """The command that installs it: ``pip install 'dop-core[google]'``."""
        return f"pip install '{self.requirement}'"

    def missing(self) -> tuple[str, ...]:
        """The extra's distributions not installed in this environment (empty when it is installed)."""
        return tuple(d for d in self.distributions if not _installed(d))

    def message(self, subject: str) -> str:
        """``<subject> needs <what>, which is not installed (missing: ...)``."""
        return f"{subject} needs {self.what}, which is not installed here (missing: {', '.join(self.missing())})"

    def problem(self, location: Location, subject: str, severity: str = "error") -> Problem | None:
        """A problem at ``location`` naming what to install, or None when the extra is installed."""
        if not self.missing():
            return None
        return Problem(location, self.message(subject), f"{self.requirement} installed", self.install,
                       severity=severity)

    def require(self, subject: str) -> None:
        """Raise :class:`MissingExtra` naming what to install unless the extra is installed."""
        if self.missing():
            raise MissingExtra(self, subject)


class MissingExtra(DopError):
    """Something needs an extra that is not installed; the message says what to install."""

    def __init__(self, extra: Extra, subject: str):
        self.extra = extra
        super().__init__(f"{extra.message(subject)}; install it: {extra.install}")


@functools.cache
def _installed(distribution: str) -> bool:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import distribution as find

    try:
        find(distribution)
    except PackageNotFoundError:
        return False
    return True


#: Google Cloud: BigQuery targets and triggers, GCS triggers and destinations, Dataproc, ``dop deploy``
GOOGLE_EXTRA = Extra(
    requirement="dop-core[google]",
    distributions=("apache-airflow-providers-google", "google-cloud-bigquery", "google-cloud-storage"),
    what="Google Cloud support",
)
