"""The intranet's models: one Tortoise app, several modules."""

from intranet.models.accounts import LoginFailure, User, UserSession
from intranet.models.audit import AuditEvent
from intranet.models.organisations import (
    Category,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
)

__all__ = [
    "AuditEvent",
    "Category",
    "LoginFailure",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "Role",
    "User",
    "UserSession",
]
