"""Comparing a directory file with the database: what is new, what changes, what is wrong.

make_plan() is pure: it takes the rows read from the file and a snapshot of the database
(load_state, a constant handful of queries whatever the size) and returns every problem
with its sheet, row and column, and every change as field: old → new. Nothing is written
here; apply.py writes a plan that has no problems.

Which rows match which records:
- An organisation row matches the organisation with its 代码; without a 代码 (or with one
  the site does not know yet) it matches the one organisation of that name that has no
  other code. A blank 代码 never removes a code.
- A person row matches the person with its 用户名 (compared as the login compares them).
- 上级组织 and 所属组织 name an organisation by 代码 or by full name, among the file's
  rows first, then the site's.
- A person's roles inside the importer's organisations become exactly their rows in the
  file; people and organisations absent from the file are left alone.

The package, by part of the work:

- model: the records read from the database, whose directory it is, the plan and the
  checks of a single field;
- organisations: the organisation rows matched, checked and planned;
- people: the person rows and their roles matched, checked and planned;
- make: make_plan, the two planners in turn.
"""

from intranet.directory.plan.make import make_plan as make_plan
from intranet.directory.plan.model import CATEGORY_SEPARATORS as CATEGORY_SEPARATORS
from intranet.directory.plan.model import CODE_CHARACTERS as CODE_CHARACTERS
from intranet.directory.plan.model import MIN_PHONE_DIGITS as MIN_PHONE_DIGITS
from intranet.directory.plan.model import ORG_FIELDS as ORG_FIELDS
from intranet.directory.plan.model import ORG_LIMITS as ORG_LIMITS
from intranet.directory.plan.model import PEOPLE_LIMITS as PEOPLE_LIMITS
from intranet.directory.plan.model import PERSON_FIELDS as PERSON_FIELDS
from intranet.directory.plan.model import PHONE_CHARACTERS as PHONE_CHARACTERS
from intranet.directory.plan.model import SHOWN_ENTRIES as SHOWN_ENTRIES
from intranet.directory.plan.model import USERNAME_CHARACTERS as USERNAME_CHARACTERS
from intranet.directory.plan.model import WHOLE_SITE as WHOLE_SITE
from intranet.directory.plan.model import Change as Change
from intranet.directory.plan.model import Entry as Entry
from intranet.directory.plan.model import NewOrg as NewOrg
from intranet.directory.plan.model import OrgRecord as OrgRecord
from intranet.directory.plan.model import PersonRecord as PersonRecord
from intranet.directory.plan.model import Plan as Plan
from intranet.directory.plan.model import Scope as Scope
from intranet.directory.plan.model import State as State
from intranet.directory.plan.model import category_order as category_order
from intranet.directory.plan.model import chinese as chinese
from intranet.directory.plan.model import email_problem as email_problem
from intranet.directory.plan.model import kind_label as kind_label
from intranet.directory.plan.model import kind_names as kind_names
from intranet.directory.plan.model import load_state as load_state
from intranet.directory.plan.model import phone_problem as phone_problem
from intranet.directory.plan.model import role_label as role_label
from intranet.directory.plan.model import role_names as role_names
from intranet.directory.plan.model import scope_for as scope_for
