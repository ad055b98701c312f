"""The notice form without HTTP: what it offers for one issuer, reading what was posted
into the values of a Notice, and filling it from a pasted notice.

Views pass in the posted FormData and a FormErrors; every message is translated here,
so a view only renders. Ids posted for addressees are accepted only when the form
offered them for this issuer: nothing posted is trusted.

The printed 主送/抄送 line and the way pasted addressee names are read follow the
conventions of Chinese official documents, so some Chinese lives here as data (as in
paste.py), never as interface text.

The package, by part of the work:

- values: what the form offers one issuer, the values it holds, the printed 主送/抄送 line;
- reading: the posted form read into those values, every mistake a message;
- saving: the values put onto a notice and its addressee rows;
- pasted: the form filled from a pasted notice.
"""

from intranet.notices.notice_form.pasted import ALL_SOCIETIES_NAMES as ALL_SOCIETIES_NAMES
from intranet.notices.notice_form.pasted import CATEGORY_SUFFIXES as CATEGORY_SUFFIXES
from intranet.notices.notice_form.pasted import PastedForm as PastedForm
from intranet.notices.notice_form.pasted import forwarded_markdown as forwarded_markdown
from intranet.notices.notice_form.pasted import match_addressees as match_addressees
from intranet.notices.notice_form.pasted import pasted_form as pasted_form
from intranet.notices.notice_form.pasted import pasted_signature as pasted_signature
from intranet.notices.notice_form.pasted import with_forwarded_text as with_forwarded_text
from intranet.notices.notice_form.reading import read_values as read_values
from intranet.notices.notice_form.saving import addressee_rows as addressee_rows
from intranet.notices.notice_form.saving import apply_values as apply_values
from intranet.notices.notice_form.saving import comparable as comparable
from intranet.notices.notice_form.values import AT_LARGE_REFUSED as AT_LARGE_REFUSED
from intranet.notices.notice_form.values import BODY_FORMAT_LABELS as BODY_FORMAT_LABELS
from intranet.notices.notice_form.values import BODY_MAX as BODY_MAX
from intranet.notices.notice_form.values import DATE_SHAPE as DATE_SHAPE
from intranet.notices.notice_form.values import LINE_MAX as LINE_MAX
from intranet.notices.notice_form.values import NUMBER_MAX as NUMBER_MAX
from intranet.notices.notice_form.values import PASTE_FIELD_LABELS as PASTE_FIELD_LABELS
from intranet.notices.notice_form.values import ROLE_PREFIXES as ROLE_PREFIXES
from intranet.notices.notice_form.values import SIGNATURE_MAX as SIGNATURE_MAX
from intranet.notices.notice_form.values import TITLE_MAX as TITLE_MAX
from intranet.notices.notice_form.values import Addressees as Addressees
from intranet.notices.notice_form.values import FormOptions as FormOptions
from intranet.notices.notice_form.values import NoticeValues as NoticeValues
from intranet.notices.notice_form.values import Numbering as Numbering
from intranet.notices.notice_form.values import addressees_of as addressees_of
from intranet.notices.notice_form.values import built_line as built_line
from intranet.notices.notice_form.values import new_values as new_values
from intranet.notices.notice_form.values import parse_date as parse_date
from intranet.notices.notice_form.values import values_of as values_of
