"""Options models of the built-in SQL task kinds that take options, imported only to validate a config
that uses one (or to read a cached one). ``airflow_operator``'s is in :mod:`.operator_options`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from dop_core.builtin.trigger_options import WaitOptions
from dop_core.identifiers import IDENTIFIER_EXPECTED, check_identifier


def _argument_name(value: Any) -> str:
    return check_identifier(value, "argument name")


@attrs.frozen
class ArgumentSpec:
    name: str = attrs.field(metadata={"parse": _argument_name, "expected": IDENTIFIER_EXPECTED})
    type: str = attrs.field(metadata={"doc": "a SQL type in the project's dialect, e.g. STRING, DATE, ANY TYPE"})


@attrs.frozen
class FunctionOptions:
    arguments: list[ArgumentSpec] = attrs.field(factory=list, metadata={"doc": "typed arguments: [{name, type}]"})
    returns: str | None = attrs.field(default=None, metadata={"doc": "return type (inferred when omitted)"})


@attrs.frozen
class ProcedureOptions:
    arguments: list[ArgumentSpec] = attrs.field(factory=list, metadata={"doc": "typed arguments: [{name, type}]"})


@attrs.frozen
class SeedOptions:
    path: str | None = attrs.field(default=None, metadata={
        "doc": "CSV file relative to the DAG folder (default data/<identifier>.csv), inside the project or a "
               "folder of data_paths"})
    columns: dict[str, str] | None = attrs.field(default=None, metadata={
        "doc": "column name -> type in the project's dialect (e.g. INT64, DATE, STRING); default: detected"})
    delimiter: str = attrs.field(default=",", metadata={"doc": "field delimiter"})
    header: bool = attrs.field(default=True, metadata={"doc": "the first line names the columns"})


@attrs.frozen(kw_only=True)
class SensorOptions(WaitOptions):
    """``assertion_sensor``: a trigger's wait options, but it gives up sooner by default."""

    timeout: dt.timedelta = attrs.field(default=dt.timedelta(hours=1), metadata={
        "doc": "give up after this long (the waiting task fails, or is skipped with soft_fail)"})
