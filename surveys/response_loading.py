"""A response with everything its pages and saves ask of it, in one SELECT.

The response, its round, the round's campaign with the campaign's organiser and form
version, and the response's organisation (if any) come from one joined statement written
by hand: the ORM's select_related over the same five relations spends more time building
the query and the models than the database spends answering it, and autosave asks for it
on every keystroke pause. The models are made as the ORM makes them (intranet.sql.Columns),
so the loaded response is the same as `Response.get(...).select_related(...)` would give.
"""

from __future__ import annotations

from functools import cache

from intranet.models import Organisation
from intranet.sql import Columns, Sql
from surveys.models import Campaign, FormVersion, Response, Round

# Each table in the statement under its alias. The organiser and the response's
# organisation are both organisations, so the alias, not the table, names each.
_RESPONSE = Columns(Response, "r")
_ROUND = Columns(Round, "rd")
_CAMPAIGN = Columns(Campaign, "c")
_ORGANISER = Columns(Organisation, "og")
_FORM_VERSION = Columns(FormVersion, "fv")
_ORGANISATION = Columns(Organisation, "o")


@cache
def _select() -> str:
    """Every column of every joined table (read once the models are initialised)."""
    joined = (_RESPONSE, _ROUND, _CAMPAIGN, _ORGANISER, _FORM_VERSION, _ORGANISATION)
    return ", ".join(columns.select for columns in joined)


async def load_response(response_id: int) -> Response | None:
    """The response with `round.campaign.organiser`, `round.campaign.form_version` and
    `organisation` loaded; None if there is none with this id."""
    sql = Sql()
    mark = sql.param(response_id)
    rows = await sql.rows(
        f"SELECT {_select()} FROM {Sql.table(Response)} r"
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
    response: Response = _RESPONSE.instance(row)
    round_: Round = _ROUND.instance(row)
    campaign: Campaign = _CAMPAIGN.instance(row)
    # Set as select_related sets them: the relation's cache, not the field (which would
    # mark the id as changed).
    object.__setattr__(campaign, "_organiser", _ORGANISER.instance(row))
    form_version: FormVersion = _FORM_VERSION.instance(row)
    form_version.read_from(row["fv.definition"])
    object.__setattr__(campaign, "_form_version", form_version)
    object.__setattr__(round_, "_campaign", campaign)
    object.__setattr__(response, "_round", round_)
    organisation = _ORGANISATION.instance(row) if row["o.id"] is not None else None
    object.__setattr__(response, "_organisation", organisation)
    return response
