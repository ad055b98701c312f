"""Excel's limits, the printed layout's sizes and every label an exported workbook shows."""

from __future__ import annotations

import re

from intranet.i18n import N_

# -- limits ----------------------------------------------------------------------------------

# Excel's limit on a cell's text, counted in UTF-16 code units (an emoji takes two).
CELL_LIMIT = 32_767
SHEET_NAME_LIMIT = 31
# Characters Excel refuses in a sheet name.
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
# Characters that break a file name on some system or in a Content-Disposition header.
FILENAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
MAX_FILENAME_CHARS = 80
MIN_WIDTH, MAX_WIDTH = 6, 50
# Width of a column of long answers: wide enough to read, narrow enough for A4.
TEXT_WIDTH = 60
A4 = 9
# Print layout. Text is written at 10.5 pt (五号) and never printed below 86 %, so
# nothing on paper is smaller than 9 pt; a table too wide for that is split across pages
# by column groups, the organisation column repeated on each, instead of shrinking.
BODY_POINTS = 10.5
TITLE_POINTS = 16
MIN_SCALE = 86
WIDEST_DIGIT_PIXELS = 9.5
# A4 landscape less the side margins (0.4 inch each), in points, with a little room.
PRINTABLE_POINTS = 842 - 58 - 10
# Columns of the totals sheet, in character widths (a Chinese character takes two).
NUMBER_WIDTH = 10
ANSWER_WIDTH = 14
NAME_WIDTH = 20
# An answer longer than this many lines in the totals sheet is cut there to its start
# with a marker: the 文字内容 sheet has it in full.
ANSWER_LINES = 3
# A list total longer than this many lines gives its column more room, up to LIST_WIDTH;
# a list total still longer points to the 文字内容 sheet, which has every answer.
LIST_LINES = 12
LIST_WIDTH = 40
# Points a line of 10.5 pt text takes in a row (CJK fonts have tall line spacing).
LINE_POINTS = 15
MAX_ROW_POINTS = 409
# A spreadsheet keeps 15 significant digits of a number; a figure with more is written
# as its exact text (right-aligned), with a note under the table.
SPREADSHEET_DIGITS = 15
# Fonts a Chinese office PC has: 宋体 for the body, 黑体 for titles.
BODY_FONT = "\u5b8b\u4f53"
TITLE_FONT = "\u9ed1\u4f53"
# The Chinese semicolon and enumeration comma, as escapes: no Chinese literals in code.
LIST_SEPARATOR = "\uff1b"
CHOICE_SEPARATOR = "\u3001"

# -- labels ----------------------------------------------------------------------------------

CUT_MARKER = N_("…[cut]")
LABEL_WITH_UNIT = N_("%(label)s (%(unit)s)")
ROUND_NUMBER = N_("Round %(number)d")
PERIOD = N_("%(start)s to %(end)s")
ROUND_TITLE = N_("%(title)s, round %(number)d: totals")
ROUND_CONTEXT = N_("%(title)s, round %(number)d (%(period)s)")
CAMPAIGN_TITLE = N_("%(title)s: totals across rounds")
IN_PROGRESS = N_("In progress (%(reported)d of %(roster)d reported)")
LEFT_OUT_OF_CHANGE = N_(
    "Round %(number)d is still in progress: it is left out of the change on the previous round."
)
TREND_TITLE = N_("%(title)s: total of each round")
CUMULATIVE_TITLE = N_("%(title)s: running totals (cumulative questions)")
CHANGE_TITLE = N_("%(title)s: change on the previous round")
ROUND_FILENAME = N_("%(title)s round %(number)d totals")
CAMPAIGN_FILENAME = N_("%(title)s totals")
SUBTITLE = N_("Issued by %(organiser)s · Period %(period)s · %(include)s · Exported %(time)s")
CAMPAIGN_SUBTITLE = N_("Issued by %(organiser)s · %(include)s · Exported %(time)s")
FOOTER = N_("Page &P of &N")
INCLUDE_LABELS = {
    "approved": N_("Approved reports only"),
    "submitted": N_("Submitted and approved reports"),
}
SUBTOTAL = N_("Subtotal: %(category)s")
SUBTOTALS_OVERLAP = N_(
    "Note: an organisation in more than one category counts in each of its categories' "
    "subtotals, so the subtotals can add up to more than the total."
)
EXACT_AS_TEXT = N_(
    "Note: figures with more than %(digits)d significant digits are written as text, so that "
    "no digit is lost."
)
SEE_TEXTS = N_("(in full on the %(sheet)s sheet)")
LIST_ELSEWHERE = N_("%(count)d answers, listed on the %(sheet)s sheet")
YES_SHARE = N_("%(yes)s %(count)d (%(share)s)")
STATE_LATE = N_("%(state)s (late)")
STATE_UNCHANGED = N_("%(state)s, no change")
STATE_RESENT = N_("%(state)s (resubmitted after return)")
YES = N_("Yes")
NO = N_("No")
ATTACHED = N_("Attached")
IN_ITS_SHEET = N_("On its own sheet")

SHEET_COVER = N_("Cover")
SHEET_TOTALS = N_("Totals")
SHEET_ROUND_TOTALS = N_("Round %(number)d totals")
SHEET_TEXTS = N_("Text answers")
SHEET_CHOICES = N_("Choice counts")
SHEET_NOT_SUBMITTED = N_("Not submitted")
SHEET_TREND = N_("Trend")
SHEET_CUMULATIVE = N_("Cumulative")
SHEET_CHANGE = N_("Change on previous round")
SHEET_REMINDERS = N_("Reminders sent")

COLUMN_NUMBER = N_("No.")
COLUMN_ORGANISATION = N_("Reporting organisation")
COLUMN_CATEGORY = N_("Category")
COLUMN_STATE = N_("State")
COLUMN_SUBMITTED_AT = N_("Submitted at")
COLUMN_QUESTION = N_("Question")
COLUMN_ANSWER = N_("Answer")
COLUMN_CHOICE = N_("Choice")
COLUMN_COUNT = N_("Count")
COLUMN_ROUND = N_("Round")
COLUMN_PERIOD = N_("Period")
TOTAL = N_("Total")
COLUMN_SENT_AT = N_("Sent at")
COLUMN_KIND = N_("Reminder")
COLUMN_HOW = N_("Sent how")
COLUMN_SENT_BY = N_("Sent by")
COLUMN_CHANNEL = N_("Channel")
COLUMN_RECIPIENTS = N_("Recipients")
AUTOMATIC = N_("Automatic")
MANUAL = N_("Manual")
CHANNELS = {"in_app": N_("In-app"), "in_app,email": N_("In-app and e-mail")}
RECIPIENT_READ = N_("%(name)s (read)")
RECIPIENT_UNREAD = N_("%(name)s (not read)")

COVER_REPORT = N_("Report")
COVER_ORGANISER = N_("Issued by")
COVER_ROUND = N_("Round")
COVER_ROUNDS = N_("Number of rounds")
COVER_PERIOD = N_("Period")
COVER_ROSTER = N_("Organisations asked to report")
COVER_SUBMITTED = N_("Submitted")
COVER_APPROVED = N_("Approved")
COVER_NOT_SUBMITTED = N_("Not submitted")
COVER_INCLUDE = N_("Figures count")
COVER_EXPORTED = N_("Exported at")

STAMP_LINE = N_("%(label)s: %(value)s")
STAMP_ORGANISATION = N_("Reporting organisation (seal)")
STAMP_HEAD = N_("Person in charge")
STAMP_FILLED_BY = N_("Filled in by")
STAMP_TELEPHONE = N_("Telephone")
STAMP_DATE = N_("Date of the report")
STAMP_DATE_BLANK = N_("____ (year) ____ (month) ____ (day)")
PAGE_HEADER = N_("%(title)s · %(sheet)s")
