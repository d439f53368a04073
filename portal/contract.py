"""Request bodies checked against the shapes the API publishes (the components of /api/v1/schema).

What the schema refuses, the server refuses: a number where the schema says string, null where it says string, text
over its maxLength, an id beyond a 64-bit integer, a date that does not exist. Each problem is named by its field
path (`customer.name`, `lines[0].quantity`) with what to send instead, as every other API error does; the business
rules (B2B buyer fields, known codes, …) stay with the services, which run on a body of the right shape.
"""

import functools
from datetime import date
from uuid import UUID

from portal.api_errors import ApiError
from portal.queries import MAX_ID

CONTRACT = "urn:flowpoint:api-v1"


def _path(error) -> str:
    name = ""
    for part in error.absolute_path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _date(value) -> bool:
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _uuid(value) -> bool:
    if not isinstance(value, str):
        return True
    try:
        UUID(value)
    except ValueError:
        return False
    return True


TYPE_WORDS = {
    "string": "text (a JSON string)",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}


def _fix(error) -> tuple[str, str]:
    """(field path, what to send) for one validation error."""
    field, rule, schema = _path(error), error.validator, error.schema
    if rule == "type":
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        words = " or ".join(TYPE_WORDS[t] for t in types if t != "null")
        if schema.get("minItems") == 1:
            words += " of at least one item"
        return field or "body", f"must be {words}" + (" (not null)" if error.instance is None else "")
    if rule == "maxLength":
        return field, f"at most {schema['maxLength']} characters"
    if rule == "minLength":
        return field, "required" if schema["minLength"] == 1 else f"at least {schema['minLength']} characters"
    if rule == "enum":
        return field, "must be one of " + ", ".join(str(value) for value in schema["enum"])
    if rule == "const":
        return field, f"must be {schema['const']}"
    if rule == "maximum" and schema["maximum"] == MAX_ID:
        return field, f"must be the id of a saved record: a whole number from 1 to {MAX_ID}"
    if rule in ("minimum", "maximum"):
        return field, f"must be {'at least' if rule == 'minimum' else 'at most'} {schema[rule]}"
    if rule == "minItems":
        return field, f"at least {schema['minItems']} required"
    if rule == "maxItems":
        return field, f"at most {schema['maxItems']} allowed"
    if rule == "format":
        return field, {"date": "must be a real date YYYY-MM-DD", "uuid": "must be a UUID"}.get(schema["format"], rule)
    return field or "body", error.message


@functools.cache
def _validator(component: str):
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    from portal.openapi import COMPONENTS

    document = {"components": {"schemas": COMPONENTS}}
    registry = Registry().with_resource(CONTRACT, Resource.from_contents(document, default_specification=DRAFT202012))
    # Only the formats the server cannot read otherwise: e-mail addresses are the services' to judge (with the
    # spec's machine codes), dates and ids are the shape's.
    formats = FormatChecker(formats=())
    formats.checks("date")(_date)
    formats.checks("uuid")(_uuid)
    root = {"$ref": f"{CONTRACT}#/components/schemas/{component}"}
    return Draft202012Validator(root, registry=registry, format_checker=formats)


def off_schema(body, component: str, *, only=None) -> dict[str, str]:
    """{field path: what to send} for every place where `body` is not the published `component`.

    `only` limits the rules checked (e.g. `{"type"}`) where the services answer the others with the spec's own
    codes (invalid_price, invalid_kind …). What is missing is always the services' to say, with the spec's machine
    code (unresolvable_hsn, missing_field …)."""
    problems = {}
    for found in sorted(_validator(component).iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        if found.validator == "required" or (only and found.validator not in only):
            continue
        field, fix = _fix(found)
        problems.setdefault(field, fix)
    return dict(sorted(problems.items()))


def refuse_off_schema(body, component: str, *, only=None, **error) -> None:
    """400 (with `error`'s reason / code) listing every place where `body` is not the published `component`."""
    if problems := off_schema(body, component, only=only):
        raise ApiError("Some fields are missing or have the wrong type; see fields.", fields=problems, **error)


def refuse_missing_body(request, **error) -> None:
    """400 when a request that must carry a body (the schema's `requestBody.required`) has none at all. An empty
    JSON object is a body: on a PATCH it changes nothing, as the schema allows."""
    if request.META.get("CONTENT_LENGTH") in (None, "", "0"):
        raise ApiError("Send the fields to change as a JSON object.", fields={"body": "required"}, **error)
