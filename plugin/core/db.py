"""One database handle for the whole process, bound late to the configured URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import peewee
from playhouse.db_url import connect, parse
from playhouse.pool import PooledPostgresqlDatabase

from plugin.core import reason_migration
from plugin.core.base import database
from plugin.core.models import ALL_MODELS, Event


def bind(url: str, *, server_prepare: bool = True) -> peewee.Database:
    """Bind the proxy to a database URL (sqlite:///path or postgresql://...) and create tables.
    ``server_prepare``: PostgreSQL prepares the hot reads once per connection (plugin.core.prepared)."""
    if url.startswith("sqlite"):
        # WAL lets the web process read while a job writes; the busy timeout waits out a writer.
        db = connect(url, pragmas={"journal_mode": "wal", "busy_timeout": 5000,
                                   "foreign_keys": 1, "synchronous": "normal"})
    else:
        # A pool per process: opening a PostgreSQL connection per request (a forked backend and a
        # cold catalog cache) costs more than everything else the webhook receiver does.
        db = Pool(**parse(url), max_connections=32, timeout=10, stale_timeout=300)
        db.server_prepare = server_prepare
    database.initialize(db)
    with session(), database.atomic():
        added = add_missing_columns(ALL_MODELS)
        database.create_tables(ALL_MODELS, safe=True)
        drop_unindexed_foreign_keys(ALL_MODELS)
        if "ledger_entry.reason_code" in added:  # rows from before reason codes: once, with the column
            reason_migration.run()
    if isinstance(db, peewee.PostgresqlDatabase):
        compress_inbox_with_lz4(db)
    if hasattr(db, "close_all"):
        db.close_all()  # nothing pooled survives into forked job processes
    return db


class Pool(PooledPostgresqlDatabase):
    """peewee's pool, without its ``SELECT 1`` on every checkout for a connection checked in within
    the last RECENT seconds and idle since (that round trip cost the webhook receiver as much as
    its INSERT). A server that went away in that second fails one request (a 503, retried by the
    sender); the broken connection is then discarded, as it is on any error."""

    RECENT = 1.0

    def __init__(self, *args, **kwargs):
        self._checked_in: dict[int, float] = {}
        super().__init__(*args, **kwargs)

    def _is_closed(self, conn) -> bool:
        fresh = time.monotonic() - self._checked_in.get(self.conn_key(conn), -self.RECENT) < self.RECENT
        if fresh and not conn.closed and self._adapter.txn_status(conn) == self._adapter.txn_idle:
            return False
        return super()._is_closed(conn)

    def _close(self, conn, close_conn: bool = False) -> None:
        if close_conn:
            self._checked_in.pop(self.conn_key(conn), None)
        else:
            self._checked_in[self.conn_key(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _close_raw(self, conn) -> None:
        self._checked_in.pop(self.conn_key(conn), None)
        super()._close_raw(conn)


def compress_inbox_with_lz4(db: peewee.PostgresqlDatabase) -> None:
    """Store the inbox's raw bodies lz4-compressed: an 8 KiB order is compressed on every delivery,
    and pglz spent a third of the INSERT's server time on it. Needs PostgreSQL 14 built with lz4
    (Debian's and the official images are); elsewhere the default stays. Rows already stored keep
    their compression; only new ones change."""
    with session():
        if db.server_version < 140000:
            return
        table = Event._meta.table_name
        current = db.execute_sql("SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass "
                                 "AND attname = 'raw_body'", (table,)).fetchone()
        if current and current[0] != "l":
            try:
                with db.atomic():
                    db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN raw_body SET COMPRESSION lz4')
            except peewee.DatabaseError:  # a server built without lz4
                pass


class SchemaError(RuntimeError):
    """The database holds a table this version cannot bring up to date by itself."""


def add_missing_columns(models) -> list[str]:
    """Bring tables from an earlier version up to date: add the columns it did not have yet.

    New columns are nullable or have a default, so existing rows get a value; a column that has
    neither cannot be added to rows that exist and is reported instead (a hand migration).
    """
    from playhouse.migrate import SchemaMigrator, migrate

    db = database.obj
    tables, added, operations = set(db.get_tables()), [], []
    migrator = SchemaMigrator.from_database(db)
    for model in models:
        table = model._meta.table_name
        if table not in tables:
            continue
        have = {column.name for column in db.get_columns(table)}
        for field in model._meta.sorted_fields:
            if field.column_name in have:
                continue
            if not field.null and field.default is None:
                raise SchemaError(f"{table}.{field.column_name} is new and has no default: "
                                  "add it by hand before upgrading")
            operations.append(migrator.add_column(table, field.column_name, field))
            added.append(f"{table}.{field.column_name}")
    if operations:
        with db.atomic():
            migrate(*operations)
    return added


def drop_unindexed_foreign_keys(models) -> None:
    """Drop the index an earlier version made for each foreign key now declared ``index=False``
    (a composite index leads with it and serves its queries): every write paid for both, and an
    upgraded database should have the indexes a new one has."""
    for model in models:
        declared = {index._name for index in model._meta.fields_to_index()}
        table = model._meta.table_name
        for field in model._meta.sorted_fields:
            name = f"{table}_{field.column_name}"
            if (isinstance(field, peewee.ForeignKeyField) and not (field.index or field.unique)
                    and name not in declared):
                database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')


@contextmanager
def session() -> Iterator[None]:
    """Open a connection for a unit of work unless one is open already; close only what it opened."""
    opened = database.is_closed()
    if opened:
        database.connect()
    try:
        yield
    finally:
        if opened:
            database.close()


def write_transaction():
    """A transaction that takes the write lock up front on SQLite, so two writers queue on the
    busy timeout instead of failing on a read-to-write upgrade; PostgreSQL locks rows as it goes."""
    if isinstance(database.obj, peewee.SqliteDatabase):
        return database.atomic(lock_type="IMMEDIATE")
    return database.atomic()


def locking(query: peewee.Select) -> peewee.Select:
    """FOR UPDATE where the database has row locks (PostgreSQL); SQLite serialises writers anyway."""
    return query.for_update() if database.for_update else query


SHOP_APPLY_LOCK = 0x4C4F59  # the first key of the advisory lock that orders a shop's batches


def lock_shop(shop_id: int) -> None:
    """Hold, until the transaction ends, the lock that lets one transaction at a time claim and
    apply the shop's events: two workers given the same shop then take its batches one after the
    other, in arrival order, instead of side by side (a later batch committed first). Other shops
    go on in parallel. SQLite: its write transactions are serialised already."""
    if database.for_update:
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (SHOP_APPLY_LOCK, shop_id))


def claiming(query: peewee.Select) -> peewee.Select:
    """FOR UPDATE SKIP LOCKED, so concurrent workers never take the same rows."""
    return query.for_update(skip_locked=True) if database.for_update else query


def ids_in(field: peewee.Field, ids) -> peewee.Expression:
    """``field IN (ids)`` with the integers written into the SQL text: peewee builds a parameter
    node per value (about 25 µs each), most of the cost of a batch's list of 1000 ids."""
    values = ", ".join(str(int(value)) for value in ids)
    return field.in_(peewee.SQL(f"({values})")) if values else field.in_([])


def by_id(model: type[peewee.Model], values: dict[int, object], default: object = None) -> peewee.SQL:
    """``CASE <table>.id WHEN <id> THEN <value> ... END`` for an UPDATE's SET, written by hand:
    peewee's Case builds nodes per value, the most of a batch's update of 200 rows. The values are
    sent as they are given (already through the field's ``db_value``)."""
    left, right = database.quote
    key = f"{left}{model._meta.table_name}{right}.{left}{model._meta.primary_key.column_name}{right}"
    whens = " ".join(f"WHEN {int(row_id)} THEN {database.param}" for row_id in values)
    return peewee.SQL(f"CASE {key} {whens} ELSE {database.param} END", [*values.values(), default])


INSERT_CHUNK = 500  # rows per statement: under SQLite's and PostgreSQL's bound-parameter limits


def insert_rows(model: type[peewee.Model], rows: list[dict], *, ignore_conflicts: bool = False,
                add_on_conflict: tuple[tuple[str, ...], str] | None = None) -> None:
    """INSERT many rows (all with the same keys: field names) in statements written by hand.

    peewee's query builder costs about 60 µs a row, most of the time of a large batch; the values
    still go through each field's ``db_value`` (JSON, dates, decimals) and fields left out get
    their model defaults, as peewee would send them. ``add_on_conflict=((fields...), field)``
    adds a row's value to the existing row's instead where those unique fields match (a
    materialized sum); each of those keys must appear once in ``rows``.
    """
    if not rows:
        return
    defaults = {name: field.default for name, field in model._meta.fields.items()
                if name not in rows[0] and field.default is not None}
    if defaults:
        rows = [{**row, **{name: value() if callable(value) else value for name, value in defaults.items()}}
                for row in rows]
    fields = [model._meta.fields[name] for name in rows[0]]
    left, right = database.quote  # the database's identifier quotes, e.g. '""'
    one = "(" + ", ".join([database.param] * len(fields)) + ")"
    head = (f"INSERT INTO {left}{model._meta.table_name}{right} "
            f"({', '.join(f'{left}{field.column_name}{right}' for field in fields)}) VALUES ")
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if add_on_conflict:
        keys, name = add_on_conflict
        target = ", ".join(f"{left}{model._meta.fields[key].column_name}{right}" for key in keys)
        column = f"{left}{model._meta.fields[name].column_name}{right}"
        tail = (f" ON CONFLICT ({target}) DO UPDATE SET {column} = "
                f"{left}{model._meta.table_name}{right}.{column} + EXCLUDED.{column}")
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start:start + INSERT_CHUNK]
        database.execute_sql(head + ", ".join([one] * len(chunk)) + tail,
                             [field.db_value(row[field.name]) for row in chunk for field in fields])


def init_app(app) -> None:
    """Connect per request, close on teardown (never after_request: errors would leak it)."""

    @app.before_request
    def _connect() -> None:
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc) -> None:
        if not database.is_closed():
            database.close()
