"""Report forms, their frozen versions, campaigns, rounds and responses.

A form's questions live in FormVersion.definition (surveys.schema.FormDefinition as
JSON); a version is frozen once an opened round uses it, and each response belongs to a
round of a campaign that sends one version, so old responses keep the questions they
were answered against. The rules live in the pure modules (schema, schedule, states);
these models store their results.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import fields
from tortoise.models import Model

from surveys.round_calendar import Schedule, ScheduleKind
from surveys.schema import FormDefinition, Respondent
from surveys.states import Action, ResponseState


class Form(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    respondent = fields.CharEnumField(Respondent, max_length=16, default=Respondent.ORGANISATION)
    owner_id: int
    owner: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation", related_name="forms", on_delete=fields.RESTRICT, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_form"

    def __str__(self) -> str:
        return self.title


# One edition of a form's questions. Frozen once an opened round uses it: editing a
# frozen version makes the next one.
class FormVersion(Model):
    id = fields.IntField(primary_key=True)
    form_id: int
    form: fields.ForeignKeyRelation[Form] = fields.ForeignKeyField(
        "surveys.Form", related_name="versions", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    definition: dict[str, Any] = fields.JSONField()  # type: ignore[assignment]
    frozen = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_form_version"
        unique_together = (("form", "number"),)
        ordering = ["form_id", "number"]

    def form_definition(self) -> FormDefinition:
        """The questions, parsed once per process for each content the version has had
        (parsing costs an autosave more than the rest of its own work; a FormDefinition
        is immutable, so one is shared). Keyed by the content, not only the id: a version
        not yet frozen is edited, and another database may hold other content under the
        id. The key is the stored text if `read_from` gave it, else the content dumped."""
        stored = self.__dict__.get("_stored_definition")
        if stored is not None and stored[0] is self.definition:
            return _parsed_definition(self.id, stored[1])
        return _parsed_definition(self.id, json.dumps(self.definition, ensure_ascii=False))

    def read_from(self, text: object) -> None:
        """Remember that `definition` was decoded from the stored `text` (a loader's
        row), so that form_definition() keys on it instead of dumping the content
        again; forgotten once `definition` is given another value."""
        if isinstance(text, str):
            object.__setattr__(self, "_stored_definition", (self.definition, text))


@lru_cache(maxsize=64)
def _parsed_definition(version_id: int, content: str) -> FormDefinition:
    return FormDefinition.from_dict(json.loads(content))


# One form version sent to a roster on a schedule (see surveys.round_calendar for what the
# schedule fields mean). The roster is resolved afresh each time a round opens.
class Campaign(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
    form_version_id: int
    form_version: fields.ForeignKeyRelation[FormVersion] = fields.ForeignKeyField(
        "surveys.FormVersion", related_name="campaigns", on_delete=fields.RESTRICT, db_index=True
    )
    organiser_id: int
    organiser: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation",
        related_name="organised_campaigns",
        on_delete=fields.RESTRICT,
        db_index=True,
    )
    schedule_kind = fields.CharEnumField(ScheduleKind, max_length=16, default=ScheduleKind.ONCE)
    starts_on = fields.DateField()
    opens_on = fields.DateField(null=True)  # once only
    due_on = fields.DateField(null=True)  # once only
    due_offset_days = fields.IntField(default=0)  # recurring only
    ends_on = fields.DateField(null=True)
    # Ids of intranet.Organisation and intranet.Category.
    roster_organisations: list[int] = fields.JSONField(default=list)  # type: ignore[assignment]
    roster_categories: list[int] = fields.JSONField(default=list)  # type: ignore[assignment]
    is_active = fields.BooleanField(default=True)
    # Automatic reminders (surveys.notify): this many days before the deadline (0: none),
    # and once overdue every this many days until submitted (0: only once).
    remind_days_before = fields.IntField(default=2)
    overdue_every_days = fields.IntField(default=2)
    # The upward spreadsheet ends its totals sheet and cover with the stamp and signature
    # block (填报单位（盖章）、负责人、填表人、联系电话、填报日期).
    stamp_block = fields.BooleanField(default=True)
    created_by_id: int | None
    created_by: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_campaign"

    def __str__(self) -> str:
        return self.title

    def schedule(self, zone: ZoneInfo) -> Schedule:
        return Schedule(
            kind=self.schedule_kind,
            starts_on=self.starts_on,
            zone=zone,
            opens_on=self.opens_on,
            due_on=self.due_on,
            due_offset_days=self.due_offset_days,
            ends_on=self.ends_on,
        )


# A numbered round (第3期) of a campaign. The unique (campaign, number) is what lets
# several workers try to open the same round while only one of them succeeds.
class Round(Model):
    id = fields.IntField(primary_key=True)
    campaign_id: int
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "surveys.Campaign", related_name="rounds", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    period_start = fields.DateField()
    period_end = fields.DateField()
    opens_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_round"
        unique_together = (("campaign", "number"),)
        ordering = ["campaign_id", "number"]

    def __str__(self) -> str:
        return f"{self.campaign_id} #{self.number}"

    def is_open(self, now: datetime) -> bool:
        """Whether answers may be saved and submitted: from opening until someone closes
        the round. The deadline does not close it; a late report is marked late."""
        return self.opens_at <= now and (self.closed_at is None or self.closed_at > now)

    def is_overdue(self, now: datetime) -> bool:
        return now > self.due_at


# One organisation's answers in a round, or one person's on a per-person form: exactly
# one of organisation and user is set, so the two unique constraints never meet (NULLs
# are distinct in both SQLite and PostgreSQL).
class Response(Model):
    id = fields.IntField(primary_key=True)
    round_id: int
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "surveys.Round", related_name="responses", on_delete=fields.CASCADE
    )
    organisation_id: int | None
    organisation: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation",
        related_name="survey_responses",
        null=True,
        on_delete=fields.RESTRICT,
    )
    user_id: int | None
    user: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User",
        related_name="survey_responses",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,  # a person's own per-person responses
    )
    state = fields.CharEnumField(ResponseState, max_length=16, default=ResponseState.NOT_STARTED)
    # Optimistic locking: a save names the version it edited and bumps it.
    version = fields.IntField(default=0)
    answers: dict[str, Any] = fields.JSONField(default=dict)  # type: ignore[assignment]
    submitted_at = fields.DatetimeField(null=True)
    # The first submission: whether the report came in late is judged from it, so a
    # report sent on time, returned and resent later is not late.
    first_submitted_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Submitted as "no change" (无变化): every increment none and every standing value as
    # in the last report (surveys.carryover), worked out at each submission.
    unchanged = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "survey_response"
        unique_together = (("round", "organisation"), ("round", "user"))
        # A society's home page: its responses by state. A round's stamp (what its
        # stored figures were made from, RoundFigures) read from the index alone.
        indexes = (("organisation_id", "state"), ("round_id", "version", "updated_at", "id"))


# One state transition of a response: who, when and why.
class ResponseEvent(Model):
    id = fields.IntField(primary_key=True)
    response_id: int
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "surveys.Response", related_name="events", on_delete=fields.CASCADE, db_index=True
    )
    action = fields.CharEnumField(Action, max_length=16)
    from_state = fields.CharEnumField(ResponseState, max_length=16)
    to_state = fields.CharEnumField(ResponseState, max_length=16)
    reason = fields.CharField(max_length=500, default="")
    actor_id: int | None
    actor: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_response_event"
        ordering = ["created_at", "id"]


# One answer's change: its value before and after, who changed it and when.
class AnswerChange(Model):
    id = fields.IntField(primary_key=True)
    response_id: int
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "surveys.Response", related_name="answer_changes", on_delete=fields.CASCADE, db_index=True
    )
    question_key = fields.CharField(max_length=40)
    old_value: Any = fields.JSONField(null=True)
    new_value: Any = fields.JSONField(null=True)
    actor_id: int | None
    actor: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_answer_change"
        ordering = ["created_at", "id"]


# A reminder (催报) about one round to one organisation: sent by the staff running the
# campaign (sent_by set, kind round.reminder) or by the scheduler (sent_by null; kind
# round.opened, round.due_soon, ...). Shown in-app on that organisation's secretaries'
# home pages and in the round's 催报 log, with the people it reached (`recipients`, user
# ids resolved when it was sent). (organisation, key) is unique: the scheduler claims an
# event for an organisation by inserting its row, so two workers never send it twice.
class RoundReminder(Model):
    id = fields.IntField(primary_key=True)
    round_id: int
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "surveys.Round", related_name="reminders", on_delete=fields.CASCADE
    )
    organisation_id: int
    organisation: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "intranet.Organisation", related_name="survey_reminders", on_delete=fields.CASCADE
    )
    sent_by_id: int | None
    sent_by: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "intranet.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    channel = fields.CharField(max_length=16, default="in_app")  # or "in_app,email"
    kind = fields.CharField(max_length=40, default="round.reminder")
    key = fields.CharField(max_length=200, null=True)  # the notifications' key
    recipients: list[int] = fields.JSONField(default=list)  # type: ignore[assignment]
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "survey_round_reminder"
        unique_together = (("organisation", "key"),)
        # A secretary's home page: the reminders to their organisation; a tracker: a
        # round's reminders.
        indexes = (("organisation_id", "created_at"), ("round_id", "organisation_id"))


# A round's figures (surveys.totals: per question the count, exact sum, lowest and
# highest, the choice counts and the listed answers) for one `include`, kept so that
# report pages and trends do not add up every answer again on every view. `stamp` says
# which answers they were made from: the campaign's form version and, over the round's
# responses, their count, sum of versions, sum of ids and latest change. Every change to
# a response bumps its version (surveys.answering, surveys.state_changes), and an added or
# removed response moves the count or the ids, so figures whose stamp differs from the
# round's current one are stale and made again (surveys.totals.round_figures).
class RoundFigures(Model):
    id = fields.IntField(primary_key=True)
    round_id: int
    round: fields.ForeignKeyRelation[Round] = fields.ForeignKeyField(
        "surveys.Round", related_name="figures", on_delete=fields.CASCADE
    )
    include = fields.CharField(max_length=16)
    stamp = fields.CharField(max_length=200)
    # The number questions' figures (all a trend reads), and the rest.
    numbers: dict[str, Any] = fields.JSONField(default=dict)  # type: ignore[assignment]
    figures: dict[str, Any] = fields.JSONField(default=dict)  # type: ignore[assignment]
    computed_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "survey_round_figures"
        unique_together = (("round", "include"),)
