"""Many new rows into one table, the cheapest way each database takes them.

An import writes every table of a record in batches of 2,000 records: customers,
their search terms (34 per record), contacts, tags, notes, follow-ups, each row's outcome.
Through SQLAlchemy's executemany each value passes its type's processor, then the NUL
guard's repr of the whole batch (storage/database.py), then the driver: at 100,000 rows
the guard alone took 1.7 s of the bot's loop (profiled). So the rows are made into the
driver's values here, once, with the very processors SQLAlchemy would have used (the data
that lands is the same), and handed to the driver directly:

- PostgreSQL takes them by COPY (asyncpg's `copy_records_to_table`): the customers of a
  100,000-row import went in in 9.0 s by executemany, 4.0-4.6 s by COPY (this VM; the
  rest is the table's ten indexes);
- SQLite by the driver's own `executemany` of plain tuples.

Either way the rows go in the session's open transaction: a batch stays all or nothing.
Columns a row leaves out get their scalar default, or the database's; a column with a
computed Python default must be given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Column, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage.database import WROTE

Processor = Callable[[Any], Any] | None


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
                      ) -> None:
    """`rows` (dicts by column name, all with the same keys) into `table`."""
    if not rows:
        return
    connection = await session.connection()
    columns = _columns(table, rows[0])
    values = _values(columns, rows, connection.dialect)
    session.info[WROTE] = True
    await copy_or_executemany(connection, table, [c.name for c in columns], values)


async def copy_or_executemany(connection: AsyncConnection, table: Table, names: list[str],
                              values: Iterable[tuple[Any, ...]]) -> None:
    """Driver values (tuples in the order of `names`) into `table`, in the open
    transaction, without SQLAlchemy's processing of each row."""
    raw = (await connection.get_raw_connection()).driver_connection
    if connection.dialect.name == "postgresql":
        await raw.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=values, columns=names)
    else:
        await raw.executemany(insert_sql(table, tuple(names), connection.dialect),  # type: ignore[union-attr]
                              values)


def _columns(table: Table, row: dict[str, Any]) -> list[Column[Any]]:
    columns = []
    for column in table.columns:
        if column.name in row:
            columns.append(column)
            continue
        default = column.default
        if default is not None and not default.is_scalar:
            raise ValueError(f"{table.name}.{column.name} needs a value: its default is "
                             "computed")
        if default is not None:
            columns.append(column)
    return columns


def _values(columns: list[Column[Any]], rows: Sequence[dict[str, Any]], dialect: Dialect
            ) -> list[tuple[Any, ...]]:
    """Each row as the driver takes it: the column's default where the row has none, the
    column type's bind processor applied, NUL taken out of text (as the engine's guard
    does for every other statement). A processor's last result is reused for the very
    same value: a batch's rows share one `now` in most of their dates (100,000 customers:
    SQLite 1.35 s without this, 0.36 s with it; PostgreSQL 0.61 / 0.22 s)."""
    defaults = [c.default.arg if c.default is not None and c.name not in rows[0]  # type: ignore[attr-defined]
                else None for c in columns]
    processors = [_processor(c, dialect) for c in columns]
    names = [c.name for c in columns]
    given = [name in rows[0] for name in names]
    last_in: list[Any] = [_NOTHING] * len(columns)
    last_out: list[Any] = [None] * len(columns)
    made = []
    for row in rows:
        values = []
        for i, name in enumerate(names):
            value = row[name] if given[i] else defaults[i]
            process = processors[i]
            if process is not None:
                if value is last_in[i]:
                    value = last_out[i]
                else:
                    last_in[i], value = value, process(value)
                    last_out[i] = value
            if type(value) is str and "\x00" in value:
                value = value.replace("\x00", "")
            values.append(value)
        made.append(tuple(values))
    return made


_NOTHING = object()


def _processor(column: Column[Any], dialect: Dialect) -> Processor:
    return column.type.dialect_impl(dialect).bind_processor(dialect)


_SQL: dict[tuple[str, tuple[str, ...], str], str] = {}


def insert_sql(table: Table, names: tuple[str, ...], dialect: Dialect) -> str:
    """The INSERT of `names` into `table` as the driver takes it, for an executemany of
    plain tuples, compiled once per table, columns and dialect."""
    key = (table.name, names, dialect.name)
    sql = _SQL.get(key)
    if sql is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
        assert tuple(compiled.positiontup or ()) == names, compiled.positiontup
        sql = _SQL[key] = str(compiled)
    return sql
