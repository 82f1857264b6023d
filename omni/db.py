"""Small, fast SQL helpers for hot paths, where the ORM's per-call cost is most of the time
(bench/allocation.py). Values still pass through each field's own database conversion, so
datetimes, decimals and JSON are stored exactly as the ORM would store them."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from typing import TypeVar

from django.db import connection, models, transaction

M = TypeVar("M", bound=models.Model)


def select_one(model: type[M], where: str, params: Sequence, *, lock: bool = False) -> M | None:
    """One row of `model` matching a SQL condition on its own columns (written by the caller,
    values as parameters: never input in `where`), or None; `lock` takes it FOR UPDATE where
    the database can. For hot single-row reads (a cart by its token, a cart line): a
    QuerySet's .first() spends some 1 ms building its SQL each call, this a fifth of that.
    The values still pass the fields' own conversions from the database, as the ORM's do."""
    sql = _select_sql(model, where, lock and connection.features.has_select_for_update)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else from_row(model, row)


@lru_cache(maxsize=256)
def _select_sql(model: type[models.Model], where: str, lock: bool) -> str:
    quote = connection.ops.quote_name
    # The model's own table and columns; `where` is the caller's code, never input.
    sql = f"SELECT {columns(model)} FROM {quote(model._meta.db_table)} WHERE {where} LIMIT 1"
    return sql + " FOR UPDATE" if lock else sql


def columns(model: type[models.Model], alias: str = "") -> str:
    """The model's concrete columns, in the order from_row() takes them, optionally qualified
    by a table alias: for SQL that reads several models in one row."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + quote(f.column) for f in model._meta.concrete_fields)


def from_row(model: type[M], values: Sequence) -> M:
    """A model instance from raw values of its concrete columns (in columns() order), each
    converted as the ORM converts what it reads."""
    attnames, chains = _row_spec(connection.vendor, model)
    return model.from_db(connection.alias, attnames, _apply(chains, values))


@lru_cache(maxsize=256)
def _row_spec(vendor: str, model: type[models.Model]) -> tuple[list[str], list]:
    fields = tuple(model._meta.concrete_fields)
    return [f.attname for f in fields], _converters(vendor, fields)


def converted(raw: Sequence, fields: Sequence[models.Field]) -> list:
    """A raw row as the ORM would have read it: each value converted for its model field
    (Decimals and aware datetimes on SQLite, JSON everywhere, nothing for most columns on
    PostgreSQL)."""
    return _apply(_converters(connection.vendor, tuple(fields)), raw)


def _apply(chains: list, raw: Sequence) -> list:
    row = list(raw)
    for index, chain, col in chains:
        for convert in chain:
            row[index] = convert(row[index], col, connection)
    return row


@lru_cache(maxsize=256)
def _converters(vendor: str, fields: tuple) -> list:
    """What the ORM would apply to each column's raw value on this database:
    [(index, [converter, ...], column)]."""
    found = []
    for index, f in enumerate(fields):
        col = f.get_col(f.model._meta.db_table)
        chain = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if chain:
            found.append((index, chain, col))
    return found


def insert_many(
    model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """INSERT the objects in one statement and set their primary keys (RETURNING, which
    PostgreSQL and SQLite 3.35+ both have, in the order of the VALUES)."""
    batch = WriteBatch()
    batch.insert(model, objs, fields)
    batch.execute()


def in_list(column: str, values: Sequence) -> tuple[str, list]:
    """`column` is one of `values`, as SQL and its parameters: one array parameter on
    PostgreSQL, so that the statement's text is the same however many values there are (the
    driver converts it once and the server prepares it); a list of placeholders elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def savepoint() -> AbstractContextManager:
    """Around a write that may fail (a unique key taken by a concurrent request): inside a
    transaction, a savepoint keeps the caller's going; outside one, nothing, as the single
    statement commits or fails by itself (one round trip, not three)."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def create(model: type[M], **values) -> M:
    """Model.objects.create() for hot paths: the same row (defaults, auto_now stamps, each
    field's conversion) in one INSERT built without the ORM's compiler, which took some 1 ms
    a row. Sends no model signals: only for models that have no receivers. An IntegrityError
    is the caller's, as with create() (see savepoint())."""
    obj = model(**values)
    insert_many(model, [obj], _insert_fields(model))
    return obj


@lru_cache(maxsize=64)
def _insert_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if not (f.primary_key and f.db_returning)]


class WriteBatch:
    """Several writes sent to the database as one statement: on PostgreSQL, data-modifying
    CTEs (one round trip while a hot row is locked, instead of one per write); elsewhere, one
    statement after another. Inserted objects get their primary keys."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, list, Sequence[models.Model] | None]] = []

    def update(self, sql: str, params: list) -> None:
        self._parts.append((sql, params, None))

    def insert(
        self, model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
    ) -> None:
        if not objs:
            return
        meta = model._meta
        columns = [meta.get_field(name) for name in fields]
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
            f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(meta.pk.column)}"
        )
        # Per column: the types passed through as they are (_PLAIN), and whether the field
        # stamps itself (auto_now, auto_now_add: set through pre_save, as the ORM would).
        spec = [
            (f, _PLAIN.get(f.get_internal_type(), ()), getattr(f, "auto_now", False)
             or getattr(f, "auto_now_add", False))
            for f in columns
        ]  # fmt: skip
        params = []
        for o in objs:
            for f, types, stamped in spec:
                value = f.pre_save(o, add=True) if stamped else getattr(o, f.attname)
                params.append(
                    value if type(value) in types else f.get_db_prep_save(value, connection)
                )
        self._parts.append((sql, params, objs))

    def execute(self) -> None:
        parts, self._parts = self._parts, []
        if not parts:
            return
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql" or len(parts) == 1:
                for sql, params, objs in parts:
                    cursor.execute(sql, params)
                    if objs is not None:
                        _set_pks(objs, cursor.fetchall())
                return
            # PostgreSQL runs every data-modifying CTE once and to completion, read or not; the
            # final SELECT only collects the primary keys of the inserts.
            ctes, selects, params = [], ["SELECT -1, 0 WHERE false"], []
            for n, (sql, part_params, objs) in enumerate(parts):
                ctes.append(f"w{n} AS ({sql})")
                params += part_params
                if objs is not None:
                    selects.append(f"SELECT {n}, * FROM w{n}")
            cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
            returned: dict[int, list] = {}
            for n, pk in cursor.fetchall():
                if n >= 0:
                    returned.setdefault(n, []).append((pk,))
            for n, (_sql, _params, objs) in enumerate(parts):
                if objs is not None:
                    _set_pks(objs, returned.get(n, []))


# Values the database driver takes as they are, per field type: for these, each field's own
# conversion (get_db_prep_save) gives back the value itself, at a cost that was a tenth of a
# checkout's batched writes. Anything else (an enum member, a Decimal, a datetime, JSON) still
# goes through the field.
_NONE = type(None)
_INTS = (int, _NONE)
_PLAIN: dict[str, tuple[type, ...]] = {
    "AutoField": _INTS,
    "BigAutoField": _INTS,
    "IntegerField": _INTS,
    "BigIntegerField": _INTS,
    "SmallIntegerField": _INTS,
    "PositiveIntegerField": _INTS,
    "PositiveBigIntegerField": _INTS,
    "PositiveSmallIntegerField": _INTS,
    "ForeignKey": _INTS,
    "CharField": (str, _NONE),
    "TextField": (str, _NONE),
    "BooleanField": (bool, _NONE),
}


def _set_pks(objs: Sequence[models.Model], rows: list) -> None:
    for obj, (pk,) in zip(objs, rows, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
