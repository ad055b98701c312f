"""The upward spreadsheet: a round's or a campaign's totals as an .xlsx ready to print.

The association's staff print, stamp and send this workbook up without touching it in
Excel, so it is laid out for paper (A4 landscape, one page wide, header rows repeated,
page numbers) and its figures are real numbers with number formats.

Every answer, name and title a person typed is written with write_string, never
write(): xlsxwriter's write() turns "=1+1" into a formula, "http://..." into a link and
"{=A1}" into an array formula. Text longer than a cell can hold is cut with a visible
marker instead of being dropped.

Workbooks are written with xlsxwriter's constant_memory mode: each sheet's rows go to a
temporary file as they are written, strictly in order, so only the current row of each
sheet is in memory. (Its in_memory option would silently turn that off.) The figures
come from surveys.totals.

The package, by part of the work:

- labels: Excel's limits, the layout's sizes and every label a workbook shows;
- cells: a typed answer or name as the text of one cell, sheet names, file names;
- sheet: the cell formats, the workbook being written and one sheet laid out for paper;
- round_totals: a round's cover and totals sheet, the figures as they are shown;
- round_workbook: a round's other sheets and the whole round workbook;
- campaign_workbook: a campaign's workbook (cover, trend, cumulative, change, charts);
- csv_file: a round's totals as CSV for other programs.

This module names the parts' public functions and labels so callers import them from
`surveys.export`. Building a workbook in another process, and the background export
jobs with their progress, are `surveys.export.jobs` (imported by name: it is not
re-exported here).
"""

from surveys.export.campaign_workbook import in_progress_text as in_progress_text
from surveys.export.campaign_workbook import write_campaign_workbook as write_campaign_workbook
from surveys.export.cells import answer_text as answer_text
from surveys.export.cells import cut as cut
from surveys.export.cells import display_width as display_width
from surveys.export.cells import header_label as header_label
from surveys.export.cells import sheet_name as sheet_name
from surveys.export.cells import workbook_filename as workbook_filename
from surveys.export.csv_file import csv_lines as csv_lines
from surveys.export.csv_file import round_csv as round_csv
from surveys.export.labels import CELL_LIMIT as CELL_LIMIT
from surveys.export.labels import CHANNELS as CHANNELS
from surveys.export.labels import COVER_APPROVED as COVER_APPROVED
from surveys.export.labels import COVER_EXPORTED as COVER_EXPORTED
from surveys.export.labels import COVER_ORGANISER as COVER_ORGANISER
from surveys.export.labels import COVER_PERIOD as COVER_PERIOD
from surveys.export.labels import COVER_ROSTER as COVER_ROSTER
from surveys.export.labels import COVER_ROUNDS as COVER_ROUNDS
from surveys.export.labels import COVER_SUBMITTED as COVER_SUBMITTED
from surveys.export.labels import CUT_MARKER as CUT_MARKER
from surveys.export.labels import MANUAL as MANUAL
from surveys.export.labels import MIN_SCALE as MIN_SCALE
from surveys.export.labels import PERIOD as PERIOD
from surveys.export.labels import ROUND_NUMBER as ROUND_NUMBER
from surveys.export.labels import SEE_TEXTS as SEE_TEXTS
from surveys.export.labels import SHEET_CHANGE as SHEET_CHANGE
from surveys.export.labels import SHEET_CHOICES as SHEET_CHOICES
from surveys.export.labels import SHEET_COVER as SHEET_COVER
from surveys.export.labels import SHEET_CUMULATIVE as SHEET_CUMULATIVE
from surveys.export.labels import SHEET_NOT_SUBMITTED as SHEET_NOT_SUBMITTED
from surveys.export.labels import SHEET_REMINDERS as SHEET_REMINDERS
from surveys.export.labels import SHEET_ROUND_TOTALS as SHEET_ROUND_TOTALS
from surveys.export.labels import SHEET_TEXTS as SHEET_TEXTS
from surveys.export.labels import SHEET_TOTALS as SHEET_TOTALS
from surveys.export.labels import SHEET_TREND as SHEET_TREND
from surveys.export.labels import STATE_LATE as STATE_LATE
from surveys.export.labels import STATE_UNCHANGED as STATE_UNCHANGED
from surveys.export.labels import SUBTOTAL as SUBTOTAL
from surveys.export.labels import TOTAL as TOTAL
from surveys.export.round_totals import list_total_text as list_total_text
from surveys.export.round_totals import short_answer as short_answer
from surveys.export.round_totals import shown_subtotal as shown_subtotal
from surveys.export.round_totals import shown_total as shown_total
from surveys.export.round_totals import yes_text as yes_text
from surveys.export.round_workbook import build_round_workbook as build_round_workbook
from surveys.export.round_workbook import recipients_text as recipients_text
from surveys.export.round_workbook import write_round_workbook as write_round_workbook
from surveys.export.sheet import Progress as Progress
