"""Small, fast SQL helpers for hot paths, where the ORM's per-call cost is most of the time
(bench/allocation.py). Values still pass through each field's own database conversion, so
datetimes, decimals and JSON are stored exactly as the ORM would store them.

- Every column list is the model's own (columns(), insert_fields()): a field added to a model
  is read and written here with no other edit (tests/omni/test_db.py checks every model).
- What differs between PostgreSQL and SQLite (the `make run` default) is decided here, once
  per difference (in_list, rows_select, json_text, session_lock, statistics_refresh, the
  batch's CTEs); a difference only one function meets stays in that function.
- It uses Django's documented field and backend hooks (Model.from_db, Field.pre_save,
  get_db_prep_save, get_db_converters, connection.ops), and sends no model signals: an insert
  of a model with save receivers is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from typing import TypeVar

from django.db import connection, models, transaction
from django.db.models import signals

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def select_one(model: type[M], where: str, params: Sequence) -> M | None:
    """One row of `model` matching a SQL condition on its own columns (written by the caller,
    values as parameters: never input in `where`), or None. For hot single-row reads (a cart by
    its token, a cart line), where a QuerySet's .first() spends most of its time building its
    SQL each call (bench/checkout.py). The values still pass the fields' own conversions from
    the database, as the ORM's do. It locks nothing: row locks are taken in each app's
    locks.py."""
    sql = _select_sql(model, where)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else from_row(model, row)


@lru_cache(maxsize=256)
def _select_sql(model: type[models.Model], where: str) -> str:
    quote = connection.ops.quote_name
    # The model's own table and columns; `where` is the caller's code, never input.
    return f"SELECT {columns(model)} FROM {quote(model._meta.db_table)} WHERE {where} LIMIT 1"


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


def insert_many(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """INSERT the objects in one statement and set their primary keys (RETURNING, which
    PostgreSQL and SQLite 3.35+ both have, in the order of the VALUES). Every column of the
    model is written (insert_fields())."""
    batch = WriteBatch()
    batch.insert(model, objs)
    batch.execute()


# --- where PostgreSQL and SQLite (the `make run` default) differ: each difference here, once --


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def in_list(column: str, values: Sequence) -> tuple[str, list]:
    """`column` is one of `values`, as SQL and its parameters: one array parameter on
    PostgreSQL, so that the statement's text is the same however many values there are (the
    driver converts it once and the server prepares it); a list of placeholders elsewhere."""
    if _postgres():
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def rows_select(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence]) -> tuple[str, list]:
    """A SELECT of `rows` (for INSERT ... SELECT), as SQL and its parameters, its columns
    named by `columns`, pairs of (name, PostgreSQL type). On PostgreSQL one array parameter per
    column (unnest): the statement's text is the same for every batch, so the driver converts
    it once and the server prepares it, where a VALUES list as long as the batch is parsed
    afresh each time (bench/sync.py measures it). Elsewhere a VALUES list: pass the rows in
    rows_batches(), to stay under SQLite's limit of parameters."""
    names = [name for name, _kind in columns]
    if _postgres():
        arrays = ", ".join(f"%s::{kind}[]" for _name, kind in columns)
        values = [list(column) for column in zip(*rows, strict=True)]
        return f"SELECT * FROM unnest({arrays}) AS u({', '.join(names)})", values
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    picked = ", ".join(f"column{n} AS {name}" for n, name in enumerate(names, 1))
    params = [value for values in rows for value in values]
    return f"SELECT {picked} FROM (VALUES {', '.join([row] * len(rows))})", params


def rows_batches(rows: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """The rows for rows_select(), a statement's worth at a time: all of them on PostgreSQL
    (an array per column), `size` a statement elsewhere (a parameter per value)."""
    if _postgres():
        yield rows
        return
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@contextmanager
def session_lock(space: int, key: int) -> Iterator[bool]:
    """A lock on (space, key) for this database session, tried without waiting: yields whether
    it was taken, and gives it back at the end. On PostgreSQL a session advisory lock (also
    released if the connection dies); a connection that cannot give it back is closed, as
    workers keep theirs from task to task. Elsewhere (SQLite: one process) always taken."""
    if not _postgres():
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [space, key])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [space, key])
            except Exception:
                connection.close()
                raise


def statistics_refresh() -> None:
    """After a bulk load: fresh planner statistics (PostgreSQL's ANALYZE), or the planner
    guesses badly; SQLite plans without them."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def json_text(column: str) -> str:
    """A JSON column read as its JSON text (PostgreSQL stores jsonb; SQLite, the text)."""
    return f"{column}::text" if _postgres() else column


def json_from_text(expression: str) -> str:
    """JSON text as the value of a JSON column (the inverse of json_text())."""
    return f"{expression}::jsonb" if _postgres() else expression


def savepoint() -> AbstractContextManager:
    """Around a write that may fail (a unique key taken by a concurrent request): inside a
    transaction, a savepoint keeps the caller's going; outside one, nothing, as the single
    statement commits or fails by itself (one round trip, not three)."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def create(model: type[M], **values) -> M:
    """Model.objects.create() for hot paths: the same row (defaults, auto_now stamps, each
    field's conversion) in one INSERT built without the ORM's compiler, the larger part of its
    cost (bench/checkout.py). Sends no model signals, so a model with pre_save or post_save
    receivers is refused (WriteBatch.insert). An IntegrityError is the caller's, as with
    create() (see savepoint())."""
    obj = model(**values)
    insert_many(model, [obj])
    return obj


@lru_cache(maxsize=256)
def insert_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """The fields an INSERT of `model` writes: every concrete field but a primary key the
    database assigns and the generated columns. Taken from the model itself, so a field added to it is written by every
    batched insert with no other edit."""
    return tuple(
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and f.db_returning) and not f.generated  # the database fills it
    )


@lru_cache(maxsize=256)
def _insert_spec(vendor: str, model: type[models.Model]) -> tuple[str, str, str, list]:
    """The INSERT's head, one row's placeholders, its RETURNING clause, and per field: the
    types passed through as they are (_PLAIN), and whether the field stamps itself (auto_now,
    auto_now_add: set through pre_save, as the ORM would)."""
    meta, quote = model._meta, connection.ops.quote_name
    fields = insert_fields(model)
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    spec = [
        (f, _PLAIN.get(f.get_internal_type(), ()), getattr(f, "auto_now", False)
         or getattr(f, "auto_now_add", False))
        for f in fields
    ]  # fmt: skip
    return head, row, f" RETURNING {quote(meta.pk.column)}", spec


class WriteBatch:
    """Several writes sent to the database as one statement: on PostgreSQL, data-modifying
    CTEs (one round trip while a hot row is locked, instead of one per write); elsewhere, one
    statement after another. Inserted objects get their primary keys."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, list, Sequence[models.Model] | None]] = []

    def update(self, sql: str, params: list) -> None:
        self._parts.append((sql, params, None))

    def insert(self, model: type[models.Model], objs: Sequence[models.Model]) -> None:
        """INSERT the objects, every column of the model (insert_fields()). A model with
        pre_save or post_save receivers is refused: the plain INSERT would skip them."""
        if not objs:
            return
        if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
            raise TypeError(f"{model.__name__} has save signal receivers: use the ORM")
        head, row, returning, spec = _insert_spec(connection.vendor, model)
        sql = f"{head} VALUES {', '.join([row] * len(objs))}{returning}"
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
            if not _postgres() or len(parts) == 1:
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
# conversion (get_db_prep_save) gives back the value itself, at a cost bench/checkout.py
# shows in a checkout's batched writes. Anything else (an enum member, a Decimal, a datetime, JSON) still
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
