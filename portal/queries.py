"""Query helpers for the hottest lookups and writes."""

import functools

from django.db import DEFAULT_DB_ALIAS, connection, connections

# The largest id a 64-bit primary key holds: a bigger one names no row (and would overflow the query, a 500).
MAX_ID = 2**63 - 1


def any_row(queryset):
    """A row the query finds, or None: for lookups where at most one row can match, or any one will do.

    `.first()` orders by the model's ordering or the primary key, which sorts nothing here but had to be
    compiled: on the API key, customer and number-in-use lookups of an invoice create, a twentieth of its work.
    """
    return next(iter(queryset.order_by()[:1]), None)


def row_where(model, where: str, params: list, parent: str | None = None):
    """The first row of `model` matching `where` (constant SQL with %s placeholders), as an instance, or None.

    For lookups on every request (an API key by its hash) or create (a customer by TIN or id): the ORM
    compiled such a query anew each time, about 1,500 Python calls, where this reads one row through SQL
    written once per process. Values come back through the same converters the ORM applies, so the instance
    is the one `.filter()` would give. Params are database values: see `db_value`.

    `parent` names a foreign key whose row is read in the same statement and cached on the instance, as
    `select_related(parent)` would; `where` then qualifies its columns with the table name.
    """
    models = (model,) if parent is None else (model, model._meta.get_field(parent).related_model)
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks it up again on every attribute
    with db.cursor() as cursor:
        cursor.execute(_select_sql(model, parent, where), params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, values = [], iter(row)
    for each in models:
        converted = []
        # Converters first: zip stops at the model's last column without taking the parent's first value.
        for (column, converters), value in zip(_converters(each), values, strict=False):
            for convert in converters:
                value = convert(value, column, db)
            converted.append(value)
        instances.append(each.from_db(DEFAULT_DB_ALIAS, [f.attname for f in each._meta.concrete_fields], converted))
    if parent is not None:
        model._meta.get_field(parent).set_cached_value(instances[0], instances[1])
    return instances[0]


def db_value(model, field_name: str, value):
    """`value` as the database stores `model.field_name` (a UUID as SQLite's hex text, say): a param of SQL."""
    return model._meta.get_field(field_name).get_db_prep_value(value, connection)


@functools.cache
def _select_sql(model, parent: str | None, where: str) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    tables = [(model, table)]
    source = table
    if parent is not None:
        field = model._meta.get_field(parent)
        parent_table = quote(field.related_model._meta.db_table)
        tables.append((field.related_model, parent_table))
        target = quote(field.target_field.column)
        source = f"{table} INNER JOIN {parent_table} ON ({table}.{quote(field.column)} = {parent_table}.{target})"
    columns = ", ".join(f"{name}.{quote(f.column)}" for each, name in tables for f in each._meta.concrete_fields)
    return f"SELECT {columns} FROM {source} WHERE {where} LIMIT 1"


@functools.cache
def _converters(model) -> tuple:
    """Per column, what the ORM's compiler applies to a value read from this database."""
    columns = (field.get_col(model._meta.db_table) for field in model._meta.concrete_fields)
    return tuple(
        (column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)) for column in columns
    )


def insert(objects: list) -> None:
    """INSERT new rows of one model in one statement whose SQL is written once per process and row count.

    `save()` and `bulk_create()` compile their INSERT anew every time: about 1,400 Python calls a statement,
    a third of an invoice create's work in its four inserts, and all of it while holding SQLite's write lock.
    Here each value is prepared as Django's compiler prepares it (`pre_save`, then `get_db_prep_save`), so
    `auto_now` times, JSON, decimals and UUIDs are stored the same. As with `bulk_create()`, no signals are sent;
    unlike it, an auto-incremented key is not read back (rows that need theirs must not come here).
    """
    model = type(objects[0])
    fields = _columns(model)
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` looks it up again on every attribute
    params = []
    for obj in objects:
        for field in fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{model.__name__}.{field.name}: insert() takes values, not expressions")
            params.append(field.get_db_prep_save(value, db))
    with db.cursor() as cursor:
        cursor.execute(_insert_sql(model, len(objects), db.vendor), params)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


@functools.cache
def _columns(model) -> tuple:
    """The columns an INSERT gives, as Model.save() chooses them: all but an auto-incremented key."""
    meta = model._meta
    return tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated)


@functools.cache
def _insert_sql(model, rows: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    columns = _columns(model)
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES {', '.join([row] * rows)}"
    )
