"""A JSON object the API answers, declared once: each field's JSON Schema beside how it is read from the object
being rendered. The same declaration renders the answer (`Shape.render`) and documents it (`Shape.schema`, an
OpenAPI component when the shape is named), so a field added to one is in the other.

    PARTY = Shape("Party", {"name": Field(text(), lambda party: party.get("name", "")), …})
    PARTY.render(invoice.buyer)  →  {"name": "Acme Ltd", …}

Keys come out in declaration order (the published examples' order). A getter returns OMIT to leave its key out
of this answer (a field the schema lists as optional).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from portal.openapi import component, obj, ref

OMIT = object()


def iso(value):
    """A moment as the API answers it (openapi.TIMESTAMP): ISO 8601 in UTC with a Z, or None."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


@dataclass(frozen=True)
class Field:
    """One key: its schema (a JSON Schema dict, or a Shape whose rendering it nests) and its getter. `many`: a
    list of the Shape, one per item the getter returns."""

    schema: "dict | Shape"
    get: Callable[[Any], Any]
    many: bool = False

    def property_schema(self) -> dict:
        schema = self.schema.schema if isinstance(self.schema, Shape) else self.schema
        return {"type": "array", "items": schema} if self.many else schema

    def render(self, source):
        value = self.get(source)
        if value is OMIT or value is None or not isinstance(self.schema, Shape):
            return value
        return [self.schema.render(item) for item in value] if self.many else self.schema.render(value)


class Shape:
    """An object schema and its rendering. `extends`: a shape whose keys come first (rendered from the same
    source; a key declared again here replaces its value in place), documented as allOf [base, these fields]."""

    def __init__(self, name: str | None, fields: dict[str, Field], *, required=(), extends=None, **extra):
        self.name, self.fields, self.extends = name, fields, extends
        properties = {key: field.property_schema() for key, field in fields.items()}
        if extends is None:
            definition = obj(properties, required=required, **extra)
        else:
            definition = {"allOf": [extends.schema, obj(properties, required=required)], **extra}
        self.definition = definition
        if name:
            component(name, definition)

    @property
    def schema(self) -> dict:
        """Where the shape is used: a $ref to its component when named, else the schema itself, inline."""
        return ref(self.name) if self.name else self.definition

    def render(self, source) -> dict:
        data = self.extends.render(source) if self.extends is not None else {}
        for key, field in self.fields.items():
            value = field.render(source)
            if value is not OMIT:
                data[key] = value
        return data
