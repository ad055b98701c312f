"""Report forms for staff: the list, the builder, versions, preview and .xlsx in and out.

Only those acting for a form's owner see it (surveys.policy.require_form); anyone else
gets 404. The edits themselves are surveys.building's pure operations; saving follows
its versioning rule (a frozen version is never changed: the edit makes the next one).

Each builder step is a plain form (POST, then 303 back to the builder) that htmx posts
too: then the same endpoint answers with the partial it changed (the settings, one
section list, one question) and Vary: HX-Request. A refused edit changes nothing and
shows every problem beside the form it came from, with 422.

This module has every route of these pages: the list and new forms are
surveys.views.form_list, the builder surveys.views.form_builder, the .xlsx import and
export surveys.views.form_workbook.
"""

from __future__ import annotations

from starlette.routing import Route

from surveys.views.form_builder import (
    add_column,
    add_question,
    add_section,
    builder,
    change_column,
    change_question,
    change_section,
    edit_settings,
    preview,
    preview_version,
    version_page,
)
from surveys.views.form_list import create_example, create_form, forms
from surveys.views.form_workbook import export_xlsx, import_form, import_version

FORM = "/reports/forms/{form_id:id}"
VERSION = FORM + "/versions/{number:id}"
# Keys follow schema.KEY_PATTERN, so a plain path segment holds any of them.
routes = [
    Route("/reports/forms", forms, name="surveys:forms"),
    Route("/reports/forms/new", create_form, methods=["POST"], name="surveys:create_form"),
    Route(
        "/reports/forms/example", create_example, methods=["POST"], name="surveys:create_example"
    ),
    Route("/reports/forms/import", import_form, methods=["POST"], name="surveys:import_form"),
    Route(FORM, builder, name="surveys:form"),
    Route(FORM + "/settings", edit_settings, methods=["POST"], name="surveys:edit_form_settings"),
    Route(FORM + "/sections", add_section, methods=["POST"], name="surveys:add_section"),
    Route(
        FORM + "/sections/{section}/questions",
        add_question,
        methods=["POST"],
        name="surveys:add_question",
    ),
    Route(
        FORM + "/sections/{section}/{op}",
        change_section,
        methods=["POST"],
        name="surveys:change_section",
    ),
    Route(
        FORM + "/questions/{question}/columns",
        add_column,
        methods=["POST"],
        name="surveys:add_column",
    ),
    Route(
        FORM + "/questions/{question}/columns/{column}/{op}",
        change_column,
        methods=["POST"],
        name="surveys:change_column",
    ),
    Route(
        FORM + "/questions/{question}/{op}",
        change_question,
        methods=["POST"],
        name="surveys:change_question",
    ),
    Route(FORM + "/import", import_version, methods=["POST"], name="surveys:import_version"),
    Route(FORM + "/preview", preview, name="surveys:preview_form"),
    Route(VERSION, version_page, name="surveys:form_version"),
    Route(VERSION + "/preview", preview_version, name="surveys:preview_form_version"),
    Route(VERSION + "/export.xlsx", export_xlsx, name="surveys:export_form_version"),
]
