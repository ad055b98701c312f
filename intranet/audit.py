"""Writing to the audit log."""

from __future__ import annotations

from starlette.requests import Request
from tortoise.models import Model

from intranet.i18n import N_, gettext
from intranet.models import AuditEvent, Organisation, User


async def record(
    request: Request | None,
    action: str,
    *,
    target: Model | None = None,
    organisation: Organisation | None = None,
    summary: str = "",
    actor: User | None = None,
) -> AuditEvent:
    """Keep one line of who did what. `action` is a stable dotted name such as
    "organisation.move"; `summary` is the human detail, in the actor's words."""
    if actor is None and request is not None:
        actor = request.scope.get("user")
    return await AuditEvent.create(
        actor=actor,
        actor_name=(actor.display_name or actor.username) if actor else "",
        action=action,
        object_type=type(target).__name__.lower() if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        organisation=organisation,
        summary=summary[:500],
        ip=request.scope.get("huibao.client_ip", "") if request is not None else "",
    )


# How the audit log page names each action; an action without a label shows as recorded.
ACTION_LABELS: dict[str, str] = {
    "login": N_("Logged in"),
    "login.failed": N_("Failed login"),
    "logout": N_("Logged out"),
    "profile.update": N_("Changed own profile"),
    "password.change": N_("Changed own password"),
    "sessions.end_others": N_("Signed out own other devices"),
    "person.create": N_("Person created"),
    "person.update": N_("Person's details changed"),
    "person.deactivate": N_("Person deactivated"),
    "person.reactivate": N_("Person reactivated"),
    "password.reset": N_("Password reset"),
    "directory.import": N_("Directory imported from a workbook"),
    "invitation.send": N_("Invitation to set a password sent"),
    "invitation.revoke": N_("Invitation withdrawn"),
    "invitation.accept": N_("Password set from an invitation"),
    "invitation.codes": N_("One-time codes downloaded"),
    "role.assign": N_("Role given"),
    "role.remove": N_("Role removed"),
    "organisation.create": N_("Organisation created"),
    "organisation.update": N_("Organisation changed"),
    "organisation.move": N_("Organisation moved"),
    "organisation.contacts": N_("Contact details changed"),
    "category.create": N_("Category created"),
    "category.update": N_("Category changed"),
    "category.delete": N_("Category deleted"),
    "demo.load": N_("Demo data loaded"),
    "notice.create": N_("Notice drafted"),
    "notice.update": N_("Notice changed"),
    "notice.delete": N_("Draft notice deleted"),
    "notice.publish": N_("Notice published"),
    "notice.withdraw": N_("Notice withdrawn"),
    "notice.forward": N_("Notice forwarded"),
    "notice.attach": N_("Attachment added"),
    "notice.detach": N_("Attachment removed"),
    "notice.remind": N_("Reminder sent"),
    "prefix.create": N_("Document number prefix added"),
    "prefix.default": N_("Default document number prefix changed"),
    "prefix.delete": N_("Document number prefix deleted"),
    "form.create": N_("Report form created"),
    "form.import": N_("Report form imported"),
    "campaign.create": N_("Campaign created"),
    "campaign.update": N_("Campaign changed"),
    "round.open": N_("Round opened"),
    "round.remind": N_("Reminder to report sent"),
    "round.closed": N_("Round closed"),
    "round.reopened": N_("Round reopened"),
    "round.extended": N_("Round deadline extended"),
}


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return gettext(label) if label else action
