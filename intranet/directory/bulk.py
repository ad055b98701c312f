"""Plain multi-row inserts for the import's large tables.

Building a model instance per row costs more than the insert itself at tens of thousands
of rows; these send the values as they are, in batches of one prepared statement each.
Columns must be listed in full: model defaults are Python-side, not the database's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.models import Model

from intranet.sql import Sql

BATCH = 2000


async def insert_rows(
    model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows` (values in the order of `columns`) into the model's table."""
    if not rows:
        return
    sql = Sql()
    marks = sql.marks(len(columns))
    names = ", ".join(f'"{name}"' for name in columns)
    statement = f"INSERT INTO {Sql.table(model)} ({names}) VALUES ({marks})"
    for start in range(0, len(rows), BATCH):
        await sql.execute_many(statement, rows[start : start + BATCH])
