"""Template fields that may hold credentials (a URL's password): masked for Airflow, in clear in ``execute``.

Airflow serializes an operator's template fields into its database (the DAG's "code" in the UI) and
stores their rendered values there too. A DOP operator whose field may carry a credential mixes in
:class:`HiddenCredentialsMixin`: the field then always holds the text with its credentials masked
(:func:`dop_core.secrets.hide_credentials`), and the credentials sit in a private attribute that
Airflow never serializes. A task process rebuilds the operator from the project's files, so the
attribute is there when the task runs; :meth:`HiddenCredentialsMixin.revealed` gives the value in
clear to the code that needs it.
"""

from __future__ import annotations

from typing import Any

from dop_core.secrets import Credentials, hide_credentials, reveal_credentials


class HiddenCredentialsMixin:
    """Mixed in before ``BaseOperator``: the credentials in its string template fields stay out of Airflow.

    Call :meth:`hide_credentials` at the end of ``__init__``; rendering hides what the rendered values
    bring (from a Variable, a connection, a param) before Airflow stores them; read a field with
    :meth:`revealed` inside ``execute``. What is hidden is registered with DOP's and Airflow's maskers.
    """

    template_fields: Any
    _dop_credentials: dict[str, Credentials]

    def hide_credentials(self) -> None:
        """Mask the credentials of every string template field, keeping them to :meth:`revealed`."""
        if not hasattr(self, "_dop_credentials"):
            self._dop_credentials = {}
        for field in self.template_fields:
            value = getattr(self, field, None)
            if not isinstance(value, str):
                continue
            shown, found = hide_credentials(value)
            if found:
                setattr(self, field, shown)
                self._dop_credentials[field] = self._dop_credentials.get(field, ()) + found

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        super().render_template_fields(context, jinja_env)  # type: ignore[misc]
        self.hide_credentials()

    def revealed(self, field: str) -> str:
        """The (rendered) value of template field ``field`` with its credentials in clear."""
        credentials = getattr(self, "_dop_credentials", {}).get(field, ())
        return reveal_credentials(str(getattr(self, field) or ""), credentials)
