"""Totals of a round's answers (汇总): the table of organisations, its 合计 row, choice
counts, texts and tables gathered, subtotals by category, roll-up by tree level, and the
trend of each number question across a campaign's rounds.

Every aggregate is computed in the database, in three queries whatever the number of
organisations: the roster and counted responses per group, then each question's
figures per group, then the choice counts per group. Each response's answers are
walked once (SQLite json_each, PostgreSQL jsonb_each: tortoise stores JSONField as
JSONB there), a row per answer, grouped by the group and the question key; the group
is nothing (a round), the category, the ancestor at a tree depth, or the round (a trend).

Numbers are exact. Integers are stored as JSON numbers; decimals as plain decimal
strings ("12.5", surveys.answer_checks), though a JSON number in a decimal question is read
too. PostgreSQL casts both to NUMERIC and sums exactly. SQLite has no decimal type, so
each value's text is split into its whole part and its fraction scaled to an integer of
1e-9 (answers keep at most 6 places), and the two are summed apart as integers: exact,
and far from overflowing. SQLite's min and max compare the values as REAL and read the
result back through its shortest repr, which is exact because an accepted answer has at
most 15 significant digits (surveys.answer_checks.MAX_SIGNIFICANT_DIGITS). Averages, the
cumulative figures of a trend and its changes are worked out in Python from those
exact sums and counts, in Decimal.

Decisions the issue leaves open:
- Rows are the round's response rows (the roster it opened with), in tree order. Only
  answers of responses whose state `include` counts enter a total; a row that does not
  count shows its state and no values.
- `submitted` counts submitted, resubmitted and approved responses; `not_submitted`
  names the rest (not started, draft, returned).
- A 合计 over no answers: count 0, list [], sum/average/min/max None (blank, not 0,
  so "nobody answered" differs from "everybody answered 0"). An average is rounded to
  2 places. A date question's min and max are ISO dates, as its cells are.
- A row's values hold every answered top-level question of the form, tables too.
  Per-person responses (no organisation) are no rows. `organisation_ids` limits rows,
  totals and the completion counts alike.
- Choice counts cover every choice and yes/no question, whatever its aggregate, and
  the form's options only, in form order, with zeros. Texts list every text question.
- A key the form does not have is ignored; a question the answers lack (a question
  added in a later version) is simply unanswered.
- The trend covers number questions whose aggregate is not "none". Its cumulative
  figure is the question's aggregate over every round so far (a running sum or count,
  the average of all answers so far, the lowest or highest so far); the change on the
  previous round (环比) is (this - previous) / previous rounded to 4 places, None when
  there is no previous figure or it is 0.
- A roll-up lists each organisation at the depth that has a response in the round in
  its subtree; roster organisations above that depth are in no group.

The package, by part of the work:

- values: what the functions answer (rows, totals, trend points) and how a ratio is shown;
- compute: the public functions and the rows of organisations they are made of;
- figures: what the database sums up per question, and the 合计 made of it;
- sql: the GROUP BY over the answers in each database's dialect, and the stored figures;
- trend: the figures read back per question, and a campaign's trend with its changes.

This module names the public functions and values, so callers import them from
`surveys.totals`.
"""

from surveys.totals.compute import campaign_trend as campaign_trend
from surveys.totals.compute import category_subtotals as category_subtotals
from surveys.totals.compute import iter_round_rows as iter_round_rows
from surveys.totals.compute import rollup as rollup
from surveys.totals.compute import round_totals as round_totals
from surveys.totals.sql import round_figures as round_figures
from surveys.totals.sql import round_stamp as round_stamp
from surveys.totals.values import CENTS as CENTS
from surveys.totals.values import CHOICE_COUNTED_TYPES as CHOICE_COUNTED_TYPES
from surveys.totals.values import DONE_STATES as DONE_STATES
from surveys.totals.values import FRACTION_DIGITS as FRACTION_DIGITS
from surveys.totals.values import PERCENT_PLACES as PERCENT_PLACES
from surveys.totals.values import UNCATEGORISED as UNCATEGORISED
from surveys.totals.values import YES_NO_VALUES as YES_NO_VALUES
from surveys.totals.values import Column as Column
from surveys.totals.values import Include as Include
from surveys.totals.values import OrganisationRow as OrganisationRow
from surveys.totals.values import RoundTotals as RoundTotals
from surveys.totals.values import TrendPoint as TrendPoint
from surveys.totals.values import YesCount as YesCount
from surveys.totals.values import format_percent as format_percent
from surveys.totals.values import shown_ratio as shown_ratio
from surveys.totals.values import table_columns as table_columns
from surveys.totals.values import yes_count as yes_count
