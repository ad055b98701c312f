"""A form as an .xlsx workbook, XLSForm-like, so staff can draft forms in Excel.

Three sheets, each with a header row, named in Chinese as export writes them or in
English as XLSForm does (import takes either, in any letter case):

- `题目` (`survey`): one row per question (type, key, label, hint, required, min, max, unit,
  aggregate, cumulative, carry). `carry` says what a new round starts from:
  increment (本期新增), standing (存量 or 现状) or nothing (每期重新填写); empty leaves
  it undeclared (surveys.schema.Question.carries), and older workbooks without the
  column still import. `begin section`/`end section` rows wrap each section and carry
  its key and title; `begin table`/`end table` wrap a table's columns, like XLSForm's
  `begin repeat`. Choice questions are typed `single_choice <list_name>`.
- `选项` (`choices`): list_name, value, label.
- `设置` (`settings`): title, instructions, respondent, in the second row.

Export writes every cell as a string, so a label such as "=1+1" stays text. Import
lists every mistake it finds, by sheet, row and column, and returns nothing unless the
whole workbook is right.

The package, by part of the work:

- sheets: the sheets, their columns, the words a cell may hold, the limits and every
  message an import gives;
- write: a form written as a workbook;
- read: a workbook's cells read and checked, sheet by sheet;
- build: form_from_xlsx, the form built from the rows read, every mistake listed.
"""

from surveys.xlsform.build import form_from_xlsx as form_from_xlsx
from surveys.xlsform.read import sheet_names as sheet_names
from surveys.xlsform.sheets import BEGIN_SECTION as BEGIN_SECTION
from surveys.xlsform.sheets import BEGIN_TABLE as BEGIN_TABLE
from surveys.xlsform.sheets import CARRY_WORDS as CARRY_WORDS
from surveys.xlsform.sheets import CHOICES as CHOICES
from surveys.xlsform.sheets import CHOICES_COLUMNS as CHOICES_COLUMNS
from surveys.xlsform.sheets import COLUMN_NOT_USED as COLUMN_NOT_USED
from surveys.xlsform.sheets import COLUMNS as COLUMNS
from surveys.xlsform.sheets import DUPLICATE_CHOICE as DUPLICATE_CHOICE
from surveys.xlsform.sheets import DUPLICATE_COLUMN as DUPLICATE_COLUMN
from surveys.xlsform.sheets import END_KEY_MISMATCH as END_KEY_MISMATCH
from surveys.xlsform.sheets import END_SECTION as END_SECTION
from surveys.xlsform.sheets import END_TABLE as END_TABLE
from surveys.xlsform.sheets import END_WITHOUT_BEGIN as END_WITHOUT_BEGIN
from surveys.xlsform.sheets import FALSE_WORDS as FALSE_WORDS
from surveys.xlsform.sheets import FORMULA as FORMULA
from surveys.xlsform.sheets import LIST_NAME_NOT_ALLOWED as LIST_NAME_NOT_ALLOWED
from surveys.xlsform.sheets import MAX_COLUMNS as MAX_COLUMNS
from surveys.xlsform.sheets import MAX_PHYSICAL_ROWS as MAX_PHYSICAL_ROWS
from surveys.xlsform.sheets import MAX_ROWS as MAX_ROWS
from surveys.xlsform.sheets import MAX_UNCOMPRESSED_BYTES as MAX_UNCOMPRESSED_BYTES
from surveys.xlsform.sheets import MISSING_COLUMN as MISSING_COLUMN
from surveys.xlsform.sheets import MISSING_SHEET as MISSING_SHEET
from surveys.xlsform.sheets import MISSING_TYPE as MISSING_TYPE
from surveys.xlsform.sheets import NESTED_TABLE as NESTED_TABLE
from surveys.xlsform.sheets import NO_CHOICE_LABEL as NO_CHOICE_LABEL
from surveys.xlsform.sheets import NO_CHOICE_VALUE as NO_CHOICE_VALUE
from surveys.xlsform.sheets import NO_LIST_NAME as NO_LIST_NAME
from surveys.xlsform.sheets import NO_LIST_NAME_IN_CHOICES as NO_LIST_NAME_IN_CHOICES
from surveys.xlsform.sheets import NOT_A_NUMBER as NOT_A_NUMBER
from surveys.xlsform.sheets import NOT_XLSX as NOT_XLSX
from surveys.xlsform.sheets import NOT_YES_NO as NOT_YES_NO
from surveys.xlsform.sheets import OUTSIDE_SECTION as OUTSIDE_SECTION
from surveys.xlsform.sheets import REQUIRED_COLUMNS as REQUIRED_COLUMNS
from surveys.xlsform.sheets import SECTION_NOT_CLOSED as SECTION_NOT_CLOSED
from surveys.xlsform.sheets import SETTINGS as SETTINGS
from surveys.xlsform.sheets import SETTINGS_COLUMNS as SETTINGS_COLUMNS
from surveys.xlsform.sheets import SETTINGS_ONE_ROW as SETTINGS_ONE_ROW
from surveys.xlsform.sheets import SHEET_TITLES as SHEET_TITLES
from surveys.xlsform.sheets import SHEETS as SHEETS
from surveys.xlsform.sheets import SURVEY as SURVEY
from surveys.xlsform.sheets import SURVEY_COLUMNS as SURVEY_COLUMNS
from surveys.xlsform.sheets import TABLE_NEEDS_BEGIN as TABLE_NEEDS_BEGIN
from surveys.xlsform.sheets import TABLE_NOT_CLOSED as TABLE_NOT_CLOSED
from surveys.xlsform.sheets import TOO_LARGE as TOO_LARGE
from surveys.xlsform.sheets import TOO_MANY_ROWS as TOO_MANY_ROWS
from surveys.xlsform.sheets import TRUE_WORDS as TRUE_WORDS
from surveys.xlsform.sheets import UNKNOWN_AGGREGATE as UNKNOWN_AGGREGATE
from surveys.xlsform.sheets import UNKNOWN_CARRY as UNKNOWN_CARRY
from surveys.xlsform.sheets import UNKNOWN_COLUMN as UNKNOWN_COLUMN
from surveys.xlsform.sheets import UNKNOWN_LIST as UNKNOWN_LIST
from surveys.xlsform.sheets import UNKNOWN_RESPONDENT as UNKNOWN_RESPONDENT
from surveys.xlsform.sheets import UNKNOWN_TYPE as UNKNOWN_TYPE
from surveys.xlsform.sheets import YES as YES
from surveys.xlsform.sheets import ImportProblem as ImportProblem
from surveys.xlsform.sheets import ImportProblems as ImportProblems
from surveys.xlsform.write import form_to_xlsx as form_to_xlsx
