"""Plain multi-row inserts for the import's large tables.

Building a model instance per row costs more than the insert itself at tens of thousands
of rows; these send the values as they are, in batches of one prepared statement each.
Columns must be listed in full: model defaults are Python-side, not the database's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import connections

BATCH = 2000


async def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    connection = connections.get("default")
    sqlite = connection.capabilities.dialect == "sqlite"
    marks = ", ".join("?" if sqlite else f"${n}" for n in range(1, len(columns) + 1))
    names = ", ".join(f'"{name}"' for name in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
    for start in range(0, len(rows), BATCH):
        await connection.execute_many(sql, [list(row) for row in rows[start : start + BATCH]])
