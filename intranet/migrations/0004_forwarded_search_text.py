"""Recompute the search text of forwarding notices so that it includes the forwarded
original (number, title and body of the snapshot).

A data migration rather than a recompute at start-up: it runs once, inside the upgrade
that changes the rule, and a start of the site never has to walk the notices. Only the
columns read here and the one column written are touched, so later schema changes do
not affect it.
"""

import json
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops


async def recompute_forwarded_search_text(apps: Any, schema_editor: Any) -> None:
    from intranet.notices.workflow import search_text_of
    from intranet.sql import Sql

    client = schema_editor.client
    # The table is named as it was at this migration, not read from today's model.
    rows = await Sql(client).rows(
        'SELECT "id", "document_number", "title", "body_html", "forwarded_snapshot" '
        'FROM "notice" WHERE "forwarded_snapshot" IS NOT NULL'
    )
    for row in rows:
        snapshot = row["forwarded_snapshot"]
        if isinstance(snapshot, (str, bytes)):
            snapshot = json.loads(snapshot)
        text = search_text_of(row["document_number"], row["title"], row["body_html"], snapshot)
        sql = Sql(client)
        await sql.execute(
            f'UPDATE "notice" SET "search_text" = {sql.param(text)} '
            f'WHERE "id" = {sql.param(row["id"])}'
        )


class Migration(migrations.Migration):
    dependencies = [("intranet", "0003_notifications")]

    initial = False

    operations = [
        ops.RunPython(recompute_forwarded_search_text, ops.RunPython.noop),
    ]
