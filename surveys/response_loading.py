"""A response with everything its pages and saves ask of it, in one SELECT.

The response, its round, the round's campaign with the campaign's organiser and form
version, and the response's organisation (if any) come from one joined statement written
by hand: the ORM's select_related over the same five relations spends more time building
the query and the models than the database spends answering it, and autosave asks for it
on every keystroke pause. The models are made as the ORM makes them (every column,
through `Model._init_from_db`, related objects set as select_related sets them), so the
loaded response is the same as `Response.get(...).select_related(...)` would give.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from tortoise.models import Model

from intranet.models import Organisation
from intranet.sql import Sql
from surveys.models import Campaign, FormVersion, Response, Round

# Each table in the statement: its alias and model. The organiser and the response's
# organisation are both organisations, so the alias, not the table, names each.
_JOINED: tuple[tuple[str, type[Model]], ...] = (
    ("r", Response),
    ("rd", Round),
    ("c", Campaign),
    ("og", Organisation),
    ("fv", FormVersion),
    ("o", Organisation),
)


@cache
def _columns() -> dict[str, tuple[str, ...]]:
    """Each alias's columns (read from the models once they are initialised)."""
    return {alias: tuple(sorted(model._meta.db_fields)) for alias, model in _JOINED}


@cache
def _select_list() -> str:
    """Every column of every joined table, as "<alias>.<column>"."""
    return ", ".join(
        f'{alias}."{column}" AS "{alias}.{column}"'
        for alias, columns in _columns().items()
        for column in columns
    )


def _made(model: type[Model], alias: str, row: dict[str, Any]) -> Any:
    return model._init_from_db(**{column: row[f"{alias}.{column}"] for column in _columns()[alias]})


async def load_response(response_id: int) -> Response | None:
    """The response with `round.campaign.organiser`, `round.campaign.form_version` and
    `organisation` loaded; None if there is none with this id."""
    sql = Sql()
    mark = sql.param(response_id)
    rows = await sql.rows(
        f"SELECT {_select_list()} FROM {Sql.table(Response)} r"
        f' JOIN {Sql.table(Round)} rd ON rd."id" = r."round_id"'
        f' JOIN {Sql.table(Campaign)} c ON c."id" = rd."campaign_id"'
        f' JOIN {Sql.table(Organisation)} og ON og."id" = c."organiser_id"'
        f' JOIN {Sql.table(FormVersion)} fv ON fv."id" = c."form_version_id"'
        f' LEFT JOIN {Sql.table(Organisation)} o ON o."id" = r."organisation_id"'
        f' WHERE r."id" = {mark}'
    )
    if not rows:
        return None
    row = rows[0]
    response: Response = _made(Response, "r", row)
    round_: Round = _made(Round, "rd", row)
    campaign: Campaign = _made(Campaign, "c", row)
    # Set as select_related sets them: the relation's cache, not the field (which would
    # mark the id as changed).
    object.__setattr__(campaign, "_organiser", _made(Organisation, "og", row))
    object.__setattr__(campaign, "_form_version", _made(FormVersion, "fv", row))
    object.__setattr__(round_, "_campaign", campaign)
    object.__setattr__(response, "_round", round_)
    organisation = _made(Organisation, "o", row) if row["o.id"] is not None else None
    object.__setattr__(response, "_organisation", organisation)
    return response
