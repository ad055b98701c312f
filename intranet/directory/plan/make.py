"""make_plan: the organisation rows, then the person rows, planned against the database."""

from __future__ import annotations

from intranet.directory.plan.model import Plan, Scope, State
from intranet.directory.plan.organisations import OrganisationPlanner
from intranet.directory.plan.people import PeoplePlanner
from intranet.directory.workbook import ORGANISATIONS, PEOPLE, Directory


def make_plan(directory: Directory, state: State, scope: Scope) -> Plan:
    plan = Plan(problems=list(directory.problems), sheets=tuple(sorted(directory.sheets)))
    organisations = OrganisationPlanner(directory.organisations, state, scope, plan)
    organisations.run()
    PeoplePlanner(directory.people, state, scope, plan, organisations).run()
    if ORGANISATIONS not in directory.sheets and PEOPLE not in directory.sheets:
        return plan
    plan.problems.sort(key=lambda p: (p.sheet != ORGANISATIONS, p.row, p.column))
    return plan
