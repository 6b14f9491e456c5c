"""Names and other short values that reach SQL (identifiers, CSV delimiters): validated here with
patterns that must match the whole value, then quoted (or bound) by each engine."""

from __future__ import annotations

import re

import attrs

# Always used with fullmatch: `$` would also match before a final newline ("v\n" is no identifier).
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# BigQuery project ids and similar "database" names may contain hyphens (and dots for domain-scoped ids).
DATABASE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-.:]{0,127}")
IDENTIFIER_EXPECTED = "letters, digits and underscores, not starting with a digit (at most 128)"
#: the JSON schemas of the values check_identifier and check_database accept (see dop_core.config.json_schema)
IDENTIFIER_SCHEMA = {"type": "string", "pattern": f"^{IDENTIFIER.pattern}$"}
DATABASE_SCHEMA = {"type": "string", "pattern": f"^{DATABASE.pattern}$"}
#: the field delimiters a CSV seed or egress file may use: one character each, none that SQL quotes
DELIMITERS = (",", ";", "|", "\t", ":", "^", "~", " ")
DELIMITER_EXPECTED = "one of , ; | : ^ ~ (a space) or \\t (a tab, written \"\\t\" in YAML)"
DELIMITER_SCHEMA = {"enum": list(DELIMITERS)}


def check_identifier(value: str, what: str = "identifier") -> str:
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid {what}: use {IDENTIFIER_EXPECTED}")
    return value


def check_database(value: str) -> str:
    if not isinstance(value, str) or not DATABASE.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid database/project name")
    return value


def check_delimiter(value: str) -> str:
    if value not in DELIMITERS:
        raise ValueError(f"{value!r} is not a field delimiter DOP accepts: use {DELIMITER_EXPECTED}")
    return value


@attrs.frozen
class Relation:
    """A table, view, function or procedure in the warehouse: ``[database.]schema.name``."""

    schema: str = attrs.field(converter=lambda v: check_identifier(v, "schema name"))
    name: str = attrs.field(converter=lambda v: check_identifier(v, "table name"))
    database: str | None = attrs.field(default=None, converter=lambda v: None if v is None else check_database(v))

    @classmethod
    def parse(cls, text: str, default_schema: str | None = None) -> Relation:
        """``schema.table`` or ``database.schema.table`` (or ``table`` with a default schema)."""
        parts = str(text).strip("`\"").split(".")
        if len(parts) == 1 and default_schema:
            return cls(default_schema, parts[0])
        if len(parts) == 2:
            return cls(parts[0], parts[1])
        if len(parts) == 3:
            return cls(parts[1], parts[2], parts[0])
        raise ValueError(f"{text!r} is not a table name: write schema.table")

    def with_name(self, name: str) -> Relation:
        return attrs.evolve(self, name=name)

    def __str__(self) -> str:
        return ".".join(p for p in (self.database, self.schema, self.name) if p)
