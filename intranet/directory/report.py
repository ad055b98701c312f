"""A plan as plain text, for `huibao import-directory`: the same preview as the page."""

from __future__ import annotations

from intranet.directory.plan import Entry, Plan
from intranet.i18n import gettext


def _entry(entry: Entry, kind: str) -> list[str]:
    lines = [f"  {kind} {entry.sheet} {gettext('row %(row)d') % {'row': entry.row}}: {entry.label}"]
    for change in entry.changes:
        lines.append(f"      {change.field}: {change.old or '-'} → {change.new or '-'}")
    return lines


def plan_text(plan: Plan) -> str:
    counts = plan.summary()
    lines = [
        gettext("Organisations: %(new)d new, %(changed)d changed, %(same)d unchanged.")
        % {
            "new": counts["new_organisations"],
            "changed": counts["changed_organisations"],
            "same": counts["unchanged_organisations"],
        },
        gettext("People: %(new)d new, %(changed)d changed, %(same)d unchanged.")
        % {
            "new": counts["new_people"],
            "changed": counts["changed_people"],
            "same": counts["unchanged_people"],
        },
    ]
    if plan.problems:
        lines.append(
            gettext("%(count)d problems; nothing can be written until they are fixed:")
            % {"count": len(plan.problems)}
        )
        lines.extend(f"  {p.location()}: {p.message}" for p in plan.problems)
        return "\n".join(lines)
    for entry in plan.new_organisations + plan.new_people:
        lines.extend(_entry(entry, "+"))
    for entry in plan.changed_organisations + plan.changed_people:
        lines.extend(_entry(entry, "~"))
    lines.append(gettext("Organisations and people absent from the file are left as they are."))
    return "\n".join(lines)
