"""Hand-written SQL in the connection's dialect: one owner for the switch.

Statements the ORM cannot say (INSERT ... SELECT ... ON CONFLICT ... RETURNING, a claim
with FOR UPDATE SKIP LOCKED, multi-row inserts) are written by hand. `Sql` knows which
database the connection speaks to, writes each parameter's placeholder (`?` on SQLite,
`$n` on PostgreSQL) while keeping its value in order, and names tables from the models,
so values are always bound, never pasted into the text. Longer statements (the survey
totals) subclass it with a method per fragment, one branch per dialect.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from contextlib import suppress
from datetime import datetime
from functools import cached_property
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.fields import DatetimeField
from tortoise.models import Model


class Sql:
    """One statement's parameters, in order, for the connection it runs on."""

    def __init__(self, connection: BaseDBAsyncClient | None = None) -> None:
        self.connection = connection if connection is not None else connections.get("default")
        self.postgres = self.connection.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    @property
    def sqlite(self) -> bool:
        return not self.postgres

    def param(self, value: Any) -> str:
        """Bind `value`; its placeholder."""
        self.values.append(value)
        return f"${len(self.values)}" if self.postgres else "?"

    def params(self, values: Iterable[Any]) -> str:
        """Bind each value; their placeholders, comma-separated."""
        return ", ".join(self.param(value) for value in values)

    def again(self, mark: str, value: Any) -> str:
        """`value` once more where it was bound as `mark`: PostgreSQL names it again,
        SQLite binds it again."""
        return mark if self.postgres else self.param(value)

    def in_ids(self, column: str, ids: Collection[int]) -> str:
        """`column` is one of `ids`, bound as one parameter however many there are: an
        array on PostgreSQL, a JSON list on SQLite."""
        numbers = [int(i) for i in ids]
        if self.postgres:
            return f"{column} = ANY({self.param(numbers)}::integer[])"
        return f"{column} IN (SELECT value FROM json_each({self.param(json.dumps(numbers))}))"

    def marks(self, count: int) -> str:
        """Placeholders for a statement run with many rows of `count` values each
        (execute_many): the values come with each row, not from here."""
        return ", ".join("$" + str(n) if self.postgres else "?" for n in range(1, count + 1))

    @staticmethod
    def table(model: type[Model]) -> str:
        """The model's table name, quoted."""
        return f'"{model._meta.db_table}"'

    @staticmethod
    def through(model: type[Model], field: str) -> str:
        """The table of the model's many-to-many `field`, quoted."""
        return f'"{model._meta.fields_map[field].through}"'  # type: ignore[attr-defined]

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run `sql` with the bound values; its rows (also an INSERT's RETURNING rows,
        which asyncpg's execute_query drops)."""
        return await self.connection.execute_query_dict(sql, self.values)

    async def execute(self, sql: str) -> None:
        """Run `sql` with the bound values."""
        await self.connection.execute_query(sql, self.values)

    async def execute_many(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """Run `sql` (written with `marks`) once per row of values."""
        await self.connection.execute_many(sql, [list(row) for row in rows])


class Columns:
    """One model's columns in a joined statement, each selected under an alias of its
    own ("m.id"), and the model instance made back from them the way Tortoise makes a
    fetched row into one (`Model._init_from_db`, with the same conversions), for hot
    paths where building the ORM's select_related costs more than the statement. Read
    from the model when first used: foreign keys' columns are known once Tortoise
    started. A related object is attached as select_related attaches it:
    `object.__setattr__(instance, "_<relation>", related)`."""

    def __init__(self, model: type[Model], alias: str) -> None:
        self.model = model
        self.alias = alias

    @cached_property
    def labels(self) -> list[tuple[str, str]]:
        return [(name, f"{self.alias}.{name}") for name in sorted(self.model._meta.db_fields)]

    @cached_property
    def select(self) -> str:
        return ", ".join(f'{self.alias}."{name}" AS "{label}"' for name, label in self.labels)

    @cached_property
    def datetimes(self) -> list[str]:
        fields = self.model._meta.fields_map
        return [name for name, field in fields.items() if isinstance(field, DatetimeField)]

    def instance(self, row: dict[str, Any]) -> Any:
        values = {name: row[label] for name, label in self.labels}
        for name in self.datetimes:
            # SQLite gives back the text Tortoise wrote ("2026-12-06 14:35:56.227+00:00"),
            # which it would parse with iso8601, ten times slower than Python's own
            # parser. Given a datetime with its offset, Tortoise only moves it to its
            # timezone, so the value comes out the same; anything else is left to it.
            if isinstance(text := values[name], str):
                with suppress(ValueError):
                    if (parsed := datetime.fromisoformat(text)).tzinfo is not None:
                        values[name] = parsed
        return self.model._init_from_db(**values)
