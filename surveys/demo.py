"""Demo report campaigns: the association's weekly report and the university's role count.

Loaded by intranet.demo after its organisations, people and notices (through the app's
AREAS, so intranet never imports this), in the same transaction. Two campaigns:

- 疫情防控工作进展周报: the association asks every society each week what 辽科协发〔2020〕3号
  asks of them (online work, popular science, experts in reserve, advice, exemplary
  cases, a duty roster). Six weekly rounds, the sixth running now: five past rounds
  with varied answers, some late, some returned with a reason and resubmitted, most
  approved, a few never sent; the sixth partly filled, with 辽宁省计算机学会 (the demo
  secretary's society) still in draft and its fifth round returned for a fix, so the
  secretary's home page has something to do.
- 专业技术人才作用发挥情况统计: 科大组织部〔2020〕6号 asks the university's Party branches to
  have their professional staff act in eight roles (参谋员 … 爱心员); a one-off round
  counts the people active in each role, open now, partly answered.

Everything comes from a seeded random generator and the load date, so two loads on the
same day give the same reports. Rows are written with bulk inserts: the demo starts fast.

Longer than the 400 lines a module is kept under: it is demo data written out as code
(two campaigns' forms, rounds and answers), read top to bottom; splitting it would only
scatter one story over several files.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tortoise import timezone
from tortoise.expressions import F

from intranet.demo import ASSOCIATION, COMPUTER_SOCIETY, UNIVERSITY, UNIVERSITY_BRANCHES
from intranet.models import Category, Organisation, User
from intranet.settings import Settings
from surveys.answer_checks import check_answer
from surveys.examples import weekly_progress_form
from surveys.models import (
    AnswerChange,
    Campaign,
    Form,
    FormVersion,
    Response,
    ResponseEvent,
    Round,
)
from surveys.round_calendar import RoundPlan, ScheduleKind, due_to_open
from surveys.rounds import roster_organisation_ids
from surveys.schema import (
    Aggregate,
    Carry,
    Choice,
    FormDefinition,
    Question,
    QuestionType,
    Respondent,
    Section,
)
from surveys.states import Action, ResponseState

S = ResponseState
WEEKLY_TITLE = "疫情防控工作进展周报"
BRANCH_TITLE = "专业技术人才作用发挥情况统计"
WEEKLY_ROUNDS = 6
# The sixth round opened this many days before the load, so that it has had time to
# gather drafts and submissions, and is due within three days: the home page lists it
# as due soon.
DAYS_INTO_CURRENT_ROUND = 4
SEED = 20200130  # the day 辽科协发〔2020〕3号 was issued
# Demo logins that answer for a society; other societies' reports are entered by staff.
SECRETARIES = {COMPUTER_SOCIETY: "secretary", "辽宁省医学会": "secretary-med"}
REVIEWER = "staff"


async def load_demo(settings: Settings, organisations: dict[str, Organisation]) -> None:
    """Add the demo campaigns the database lacks (found by organiser and title)."""
    association = organisations.get(ASSOCIATION)
    if association is None:
        return
    people = {
        u.username: u for u in await User.filter(username__in=[*SECRETARIES.values(), REVIEWER])
    }
    now = timezone.now()
    today = now.astimezone(settings.zone).date()
    demo = DemoContext(
        settings=settings, now=now, today=today, people=people, rng=random.Random(SEED)
    )
    if not await Campaign.exists(organiser=association, title=WEEKLY_TITLE):
        await _weekly_campaign(demo, association, organisations)
    university = organisations.get(UNIVERSITY)
    if university is not None and not await Campaign.exists(
        organiser=university, title=BRANCH_TITLE
    ):
        await _branch_campaign(demo, university)


@dataclass
class DemoContext:
    settings: Settings
    now: datetime
    today: date
    people: dict[str, User]
    rng: random.Random

    def actor(self, organisation_name: str) -> User | None:
        """Who answers for the organisation: its demo secretary, or else the staff login."""
        return self.people.get(SECRETARIES.get(organisation_name, REVIEWER))

    @property
    def reviewer(self) -> User | None:
        return self.people.get(REVIEWER)


@dataclass
class History:
    """One response as the demo writes it: its final state and answers, and the steps
    (action, state after, when, who, reason) that led there."""

    organisation_id: int
    actor: User | None
    state: ResponseState = S.NOT_STARTED
    answers: dict[str, Any] = field(default_factory=dict)
    submitted_at: datetime | None = None
    first_submitted_at: datetime | None = None
    steps: list[tuple[Action, ResponseState, ResponseState, datetime, User | None, str]] = field(
        default_factory=list
    )
    changes: list[tuple[str, Any, Any, datetime, User | None]] = field(default_factory=list)

    def step(
        self, action: Action, to: ResponseState, at: datetime, who: User | None, reason: str = ""
    ) -> None:
        self.steps.append((action, self.state, to, at, who, reason))
        self.state = to
        if action == Action.SUBMIT:
            self.submitted_at = at
            self.first_submitted_at = self.first_submitted_at or at


# -- the weekly report ---------------------------------------------------------------------


async def _weekly_campaign(
    demo: DemoContext, association: Organisation, organisations: dict[str, Organisation]
) -> None:
    definition = weekly_progress_form()
    version = await _frozen_version(definition, association)
    starts_on = demo.today - timedelta(days=DAYS_INTO_CURRENT_ROUND + 7 * (WEEKLY_ROUNDS - 1))
    campaign = await Campaign.create(
        title=WEEKLY_TITLE,
        form_version=version,
        organiser=association,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=starts_on,
        due_offset_days=0,  # due at the end of the week reported on
        roster_categories=sorted(await Category.all().values_list("id", flat=True)),  # type: ignore[type-var]
        created_by=demo.reviewer,
        created_at=datetime.combine(
            starts_on - timedelta(days=2), datetime.min.time(), demo.settings.zone
        ),
    )
    plans = due_to_open(campaign.schedule(demo.settings.zone), demo.now, set())
    assert len(plans) == WEEKLY_ROUNDS, plans
    by_id = {o.id: o for o in organisations.values()}
    societies = [by_id[id_] for id_ in await roster_organisation_ids(campaign)]
    profiles = {s.id: SocietyProfile.draw(demo.rng, s) for s in societies}
    histories: dict[int, list[History]] = {}
    for plan in plans:
        round_ = await _round(campaign, plan)
        if plan.number <= WEEKLY_ROUNDS - 2:
            # Staff close a round a week after its deadline, so late societies stop being
            # reminded of weeks long past (a returned report may still be fixed and sent).
            round_.closed_at = plan.due_at + timedelta(days=7)
            await round_.save(update_fields=["closed_at"])
        current = plan.number == WEEKLY_ROUNDS
        histories[round_.id] = [
            _weekly_history(demo, definition, profiles[s.id], plan, current=current)
            for s in societies
        ]
    await _store(histories)


@dataclass(frozen=True)
class SocietyProfile:
    """How a society reports: its size, how punctual and how careful it is."""

    organisation: Organisation
    scale: int  # 1 small … 4 large
    punctual: float  # chance of sending before the deadline
    careless: float  # chance a report is returned
    silent: float  # chance of not reporting at all in a week
    speciality: tuple[str, ...]

    @classmethod
    def draw(cls, rng: random.Random, organisation: Organisation) -> SocietyProfile:
        name = organisation.name
        return cls(
            organisation=organisation,
            scale=4
            if name in ("辽宁省医学会", "辽宁省计算机学会", "辽宁省科普作家协会")
            else rng.randint(1, 3),
            punctual=rng.choice((0.95, 0.9, 0.8, 0.6)),
            careless=rng.choice((0.05, 0.1, 0.1, 0.25)),
            silent=rng.choice((0.0, 0.0, 0.0, 0.05, 0.15, 0.3)),
            speciality=next((v for k, v in SPECIALITIES if k in name), DEFAULT_SPECIALITIES),
        )


def _weekly_history(
    demo: DemoContext,
    form: FormDefinition,
    profile: SocietyProfile,
    plan: RoundPlan,
    *,
    current: bool,
) -> History:
    rng, name = demo.rng, profile.organisation.name
    who = demo.actor(name)
    history = History(profile.organisation.id, who)
    answers = _weekly_answers(rng, profile, plan)
    if current:
        return _current_history(
            demo, form, history, answers, plan, in_draft=name == COMPUTER_SOCIETY
        )
    if rng.random() < profile.silent:
        if rng.random() < 0.5:  # began, never sent
            started = plan.opens_at + timedelta(days=rng.uniform(1, 5))
            history.answers = _checked(form, dict(list(answers.items())[:4]))
            history.step(Action.SAVE, S.DRAFT, started, who)
        return history
    # Returned and not yet fixed: the demo secretary's society, last week, for an expert
    # sent without a phone number.
    pending_fix = name == COMPUTER_SOCIETY and plan.number == WEEKLY_ROUNDS - 1
    if pending_fix:
        answers["experts"] = [
            *answers.get("experts", [])[:2],
            {**_expert(rng, profile), "phone": ""},
        ]
    history.answers = _checked(form, answers)
    returned = pending_fix or rng.random() < profile.careless
    late = rng.random() > profile.punctual
    if late:
        sent = plan.due_at + timedelta(hours=rng.uniform(2, 40))
    else:
        sent = plan.due_at - timedelta(hours=rng.uniform(3, 90))
    sent = min(sent, demo.now - timedelta(hours=1))
    history.step(Action.SAVE, S.DRAFT, sent - timedelta(minutes=rng.randint(20, 600)), who)
    history.step(Action.SUBMIT, S.SUBMITTED, sent, who)
    reviewed = sent + timedelta(hours=rng.uniform(3, 30))
    if returned and reviewed < demo.now:
        key, reason, fix = _return_reason(history.answers)
        history.step(Action.RETURN, S.RETURNED, reviewed, demo.reviewer, reason)
        if pending_fix:
            return history
        fixed = reviewed + timedelta(hours=rng.uniform(2, 20))
        if fixed >= demo.now:
            return history
        old = history.answers.get(key)
        history.answers = _checked(form, {**history.answers, key: fix(old)})
        history.changes.append((key, old, history.answers.get(key), fixed, who))
        history.step(Action.SAVE, S.RETURNED, fixed, who)
        history.step(
            Action.SUBMIT, S.RESUBMITTED, fixed + timedelta(minutes=rng.randint(2, 30)), who
        )
        reviewed = fixed + timedelta(hours=rng.uniform(3, 30))
    # Last week's reports are still being reviewed.
    if reviewed < demo.now and (plan.number < WEEKLY_ROUNDS - 1 or rng.random() < 0.6):
        history.step(Action.APPROVE, S.APPROVED, reviewed, demo.reviewer)
    return history


def _current_history(
    demo: DemoContext,
    form: FormDefinition,
    history: History,
    answers: dict[str, Any],
    plan: RoundPlan,
    *,
    in_draft: bool,
) -> History:
    """The running round: some sent, some drafts, the rest not started; `in_draft` for
    the demo secretary's society, which has begun and not sent."""
    rng, who = demo.rng, history.actor
    since = max((demo.now - plan.opens_at).total_seconds(), 60.0)

    def moment(fraction: float) -> datetime:
        return plan.opens_at + timedelta(seconds=since * fraction)

    chance = rng.random()
    if in_draft:
        chance = 0.5
    if chance < 0.35:
        return history
    if chance < 0.65:
        keys = list(answers)[: rng.randint(2, 6)]
        history.answers = _checked(form, {k: answers[k] for k in keys})
        started = moment(rng.uniform(0.2, 0.95))
        history.step(Action.SAVE, S.DRAFT, started, who)
        first = keys[0]
        history.changes.append((first, None, history.answers.get(first), started, who))
        return history
    history.answers = _checked(form, answers)
    sent = moment(rng.uniform(0.3, 0.98))
    history.step(Action.SAVE, S.DRAFT, sent - timedelta(minutes=rng.randint(5, 90)), who)
    history.step(Action.SUBMIT, S.SUBMITTED, sent, who)
    return history


def _weekly_answers(rng: random.Random, profile: SocietyProfile, plan: RoundPlan) -> dict[str, Any]:
    scale, week = profile.scale, plan.number
    # Work picked up over the weeks after the notice, then settled.
    ramp = min(1.0, 0.4 + 0.15 * week)
    items = int(rng.randint(0, 5 * scale) * ramp)
    answers: dict[str, Any] = {
        "online_meetings": int(rng.randint(0, 3 * scale) * ramp),
        "members_reached": int(rng.randint(15, 260) * scale * ramp),
        "channels": rng.sample(("wechat", "weibo", "video", "website", "other"), rng.randint(1, 3)),
        "science_items": items,
        "science_reach": items * rng.randint(200, 6000),
        "advice_submitted": rng.choice((0, 0, 1, 1, 2, 3)) if scale > 1 else rng.choice((0, 0, 1)),
        "duty_roster": "yes" if week > 1 or rng.random() < 0.7 else "no",
    }
    if rng.random() < 0.6:
        answers["funds"] = f"{Decimal(rng.randint(1, 40 * scale)) / 10}"
    experts = [_expert(rng, profile) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
    if experts:
        answers["experts"] = experts
    if rng.random() < 0.25:
        answers["exemplary_cases"] = [_case(rng, profile, plan)]
    if rng.random() < 0.3:
        answers["difficulties"] = rng.choice(DIFFICULTIES)
    return answers


def _expert(rng: random.Random, profile: SocietyProfile) -> dict[str, str]:
    phone = f"139{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.7 else ""
    return {
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
        "employer": rng.choice(EMPLOYERS),
        "speciality": rng.choice(profile.speciality),
        "phone": phone,
    }


def _case(rng: random.Random, profile: SocietyProfile, plan: RoundPlan) -> dict[str, str]:
    kind, title, summary = rng.choice(CASES)
    day = plan.period_start + timedelta(days=rng.randint(0, 6))
    short = profile.organisation.short_name or profile.organisation.name
    return {
        "title": f"{short}{title}",
        "kind": kind,
        "reported_on": day.isoformat(),
        "summary": summary,
    }


def _return_reason(answers: dict[str, Any]) -> tuple[str, str, Any]:
    """Why a reviewer returns a report: the question at fault, the reason and the fix."""
    if any(not row.get("phone") for row in answers.get("experts", [])):

        def add_phones(rows: Any) -> Any:
            return [{**row, "phone": row.get("phone") or "13904001234"} for row in rows or []]

        return "experts", "储备专家名单中部分专家缺少联系电话，请补充完整后重新提交。", add_phones
    if answers.get("science_reach"):
        return (
            "science_reach",
            "科普作品阅读量明显偏高，请按“只填本周新增”的口径核实后重新提交。",
            lambda old: max(0, int(old) // 10),
        )
    return (
        "online_meetings",
        "本周线上会议次数与学会网站报道不一致，请核实。",
        lambda old: int(old or 0) + 1,
    )


# -- the university's branches -------------------------------------------------------------

# The eight roles of 科大组织部〔2020〕6号, in its order: key, role, what it asks.
ROLES = (
    ("advisers", "参谋员", "建真言、献良策，当好防疫工作“参谋员”"),
    ("technicians", "技术员", "助生产、解难题，当好复工复产“技术员”"),
    ("educators", "教育员", "改教学、上网课，当好学生学习“教育员”"),
    ("pioneers", "先锋员", "走在前、做表率，当好党员模范“先锋员”"),
    ("publicists", "宣传员", "鼓干劲、定民心，当好人民群众“宣传员”"),
    ("counsellors", "疏导员", "除焦虑、提信心，当好人民群众“疏导员”"),
    ("self_disciplined", "自律员", "讲自律、严约束，当好自我防疫“自律员”"),
    ("carers", "爱心员", "排忧难、送温暖，当好党和人民“爱心员”"),
)


def branch_roles_form() -> FormDefinition:
    """What 科大组织部〔2020〕6号 asks each branch: how many of its professional staff are
    active in each of the eight roles, and who stands out."""
    role_choices = tuple(Choice(key, role) for key, role, _ in ROLES)
    return FormDefinition(
        title=BRANCH_TITLE,
        instructions=(
            "根据科大组织部〔2020〕6号通知要求，请各分党委、党总支、直属党支部统计本单位"
            "专业技术人才在疫情防控中发挥“八大员”作用的人数。一人承担多种角色的，分别计入。"
        ),
        respondent=Respondent.ORGANISATION,
        sections=(
            Section(
                key="staff",
                title="基本情况",
                questions=(
                    Question(
                        key="professionals",
                        type=QuestionType.INTEGER,
                        label="本单位专业技术人才总数",
                        required=True,
                        min=Decimal(0),
                        unit="人",
                        aggregate=Aggregate.SUM,
                        carry=Carry.STANDING,
                    ),
                ),
            ),
            Section(
                key="roles",
                title="发挥“八大员”作用情况",
                questions=tuple(
                    Question(
                        key=key,
                        type=QuestionType.INTEGER,
                        label=role,
                        help=asks,
                        required=True,
                        min=Decimal(0),
                        unit="人",
                        aggregate=Aggregate.SUM,
                        carry=Carry.STANDING,  # how many act in the role now
                    )
                    for key, role, asks in ROLES
                ),
            ),
            Section(
                key="examples",
                title="典型人物",
                questions=(
                    Question(
                        key="standouts",
                        type=QuestionType.TABLE,
                        label="表现突出的人才",
                        help="可推荐及时表彰的人才，每人一行",
                        max=Decimal(50),
                        aggregate=Aggregate.LIST,
                        carry=Carry.INCREMENT,  # new recommendations only
                        columns=(
                            Question(
                                key="name",
                                type=QuestionType.SHORT_TEXT,
                                label="姓名",
                                required=True,
                                max=Decimal(20),
                            ),
                            Question(
                                key="role",
                                type=QuestionType.SINGLE_CHOICE,
                                label="主要角色",
                                choices=role_choices,
                            ),
                            Question(
                                key="deed",
                                type=QuestionType.LONG_TEXT,
                                label="主要事迹",
                                max=Decimal(300),
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )


async def _branch_campaign(demo: DemoContext, university: Organisation) -> None:
    # Created with the university by intranet.demo: its notice is addressed to them.
    inside = Organisation.filter(path__startswith=university.path, name__in=UNIVERSITY_BRANCHES)
    existing = {o.name: o for o in await inside}
    branches = [existing[name] for name in UNIVERSITY_BRANCHES if name in existing]
    if not branches:
        return
    definition = branch_roles_form()
    version = await _frozen_version(definition, university)
    opens_on = demo.today - timedelta(days=2)
    campaign = await Campaign.create(
        title=BRANCH_TITLE,
        form_version=version,
        organiser=university,
        schedule_kind=ScheduleKind.ONCE,
        starts_on=opens_on,
        opens_on=opens_on,
        due_on=demo.today + timedelta(days=5),
        roster_organisations=[b.id for b in branches],
        created_by=demo.reviewer,
    )
    [plan] = due_to_open(campaign.schedule(demo.settings.zone), demo.now, set())
    round_ = await _round(campaign, plan)
    rng, since = demo.rng, max((demo.now - plan.opens_at).total_seconds(), 60.0)
    # Two approved, two awaiting review, two drafts, two not started.
    fates = (
        S.APPROVED,
        S.SUBMITTED,
        S.DRAFT,
        S.APPROVED,
        S.NOT_STARTED,
        S.SUBMITTED,
        S.DRAFT,
        S.NOT_STARTED,
    )
    histories = []
    for branch, fate in zip(branches, fates, strict=True):
        history = History(branch.id, demo.reviewer)
        histories.append(history)
        if fate == S.NOT_STARTED:
            continue
        answers = _branch_answers(rng)
        at = plan.opens_at + timedelta(seconds=since * rng.uniform(0.1, 0.6))
        if fate == S.DRAFT:
            history.answers = _checked(definition, dict(list(answers.items())[:4]))
            history.step(Action.SAVE, S.DRAFT, at, demo.reviewer)
            continue
        history.answers = _checked(definition, answers)
        history.step(Action.SAVE, S.DRAFT, at, demo.reviewer)
        history.step(
            Action.SUBMIT, S.SUBMITTED, at + timedelta(minutes=rng.randint(10, 120)), demo.reviewer
        )
        if fate == S.APPROVED:
            approved = at + timedelta(seconds=since * 0.3)
            history.step(
                Action.APPROVE,
                S.APPROVED,
                min(approved, demo.now - timedelta(minutes=5)),
                demo.reviewer,
            )
    await _store({round_.id: histories})


def _branch_answers(rng: random.Random) -> dict[str, Any]:
    total = rng.randint(25, 140)
    answers: dict[str, Any] = {"professionals": total}
    for key, _, _ in ROLES:
        answers[key] = rng.randint(0, total // 2)
    answers["self_disciplined"] = total  # everyone keeps to the rules
    if rng.random() < 0.6:
        key, role, _ = rng.choice(ROLES[:3])
        answers["standouts"] = [
            {
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
                "role": key,
                "deed": f"作为{role}，{rng.choice(DEEDS)}",
            }
        ]
    return answers


# -- writing -------------------------------------------------------------------------------


async def _frozen_version(definition: FormDefinition, owner: Organisation) -> FormVersion:
    assert not definition.validate(), definition.validate()
    form = await Form.create(title=definition.title, respondent=definition.respondent, owner=owner)
    return await FormVersion.create(
        form=form, number=1, definition=definition.to_dict(), frozen=True
    )


async def _round(campaign: Campaign, plan: RoundPlan) -> Round:
    return await Round.create(
        campaign=campaign,
        number=plan.number,
        period_start=plan.period_start,
        period_end=plan.period_end,
        opens_at=plan.opens_at,
        due_at=plan.due_at,
        created_at=plan.opens_at,
    )


def _checked(form: FormDefinition, raw: dict[str, Any]) -> dict[str, Any]:
    """The answers as the site stores them; a demo answer the rules refuse is a bug here."""
    stored = {}
    for key, value in raw.items():
        question = form.question(key)
        assert question is not None, key
        checked = check_answer(question, value)
        assert not checked.problems, (key, value, checked.problems)
        if checked.value is not None:
            stored[key] = checked.value
    return stored


async def _store(histories: dict[int, list[History]]) -> None:
    """Responses, their events and answer changes, in three bulk inserts."""
    await Response.bulk_create(
        [
            Response(
                round_id=round_id,
                organisation_id=h.organisation_id,
                state=h.state,
                version=len(h.steps) + len(h.changes),
                answers=h.answers,
                submitted_at=h.submitted_at,
                first_submitted_at=h.first_submitted_at,
            )
            for round_id, round_histories in histories.items()
            for h in round_histories
        ]
    )
    ids = {
        (row["round_id"], row["organisation_id"]): row["id"]
        for row in await Response.filter(round_id__in=list(histories)).values(
            "id", "round_id", "organisation_id"
        )
    }
    by_response = [
        (ids[round_id, h.organisation_id], h) for round_id, hs in histories.items() for h in hs
    ]
    await ResponseEvent.bulk_create(list(_events(by_response)))
    await AnswerChange.bulk_create(list(_changes(by_response)))
    # The last thing done to each response, not the moment the demo was loaded.
    await Response.filter(id__in=list(ids.values()), submitted_at__not_isnull=True).update(
        updated_at=F("submitted_at")
    )


def _events(by_response: Iterable[tuple[int, History]]) -> Iterator[ResponseEvent]:
    for response_id, history in by_response:
        for action, before, after, at, who, reason in history.steps:
            yield ResponseEvent(
                response_id=response_id,
                action=action,
                from_state=before,
                to_state=after,
                reason=reason,
                actor=who,
                created_at=at,
            )


def _changes(by_response: Iterable[tuple[int, History]]) -> Iterator[AnswerChange]:
    for response_id, history in by_response:
        for key, old, new, at, who in history.changes:
            yield AnswerChange(
                response_id=response_id,
                question_key=key,
                old_value=old,
                new_value=new,
                actor=who,
                created_at=at,
            )


# -- words -----------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN_NAMES = (
    "建国",
    "志强",
    "海燕",
    "晓东",
    "秀兰",
    "立新",
    "文华",
    "丽娟",
    "振宇",
    "春梅",
    "国栋",
    "雪松",
    "明远",
    "思源",
    "玉洁",
    "德厚",
    "红霞",
    "卫东",
    "亚楠",
    "子豪",
)
EMPLOYERS = (
    "中国医科大学附属第一医院",
    "东北大学",
    "大连理工大学",
    "辽宁大学",
    "沈阳农业大学",
    "沈阳药科大学",
    "辽宁科技大学",
    "中国科学院沈阳自动化研究所",
    "中国科学院金属研究所",
    "辽宁省疾病预防控制中心",
    "沈阳工业大学",
    "辽宁中医药大学",
)
SPECIALITIES = (
    ("医学", ("呼吸内科", "感染病学", "重症医学", "流行病学")),
    ("药", ("药理学", "药物分析", "临床药学")),
    ("中医", ("中医内科", "针灸推拿", "中药学")),
    ("护理", ("急危重症护理", "社区护理")),
    ("预防", ("流行病学", "卫生统计", "环境卫生")),
    ("计算机", ("人工智能", "大数据", "网络安全", "软件工程")),
    ("化", ("分析化学", "化学工程", "消毒技术")),
    ("农", ("作物栽培", "农业经济")),
    ("畜牧", ("动物防疫", "兽医公共卫生")),
    ("气象", ("天气预报", "气候变化")),
)
DEFAULT_SPECIALITIES = ("科普传播", "工程管理", "应急管理", "心理咨询")
CASES = (
    (
        "person",
        "专家连续奋战一线开展病例救治",
        "专家主动请缨，连续多日在定点医院参与重症病例会诊。",
    ),
    (
        "deed",
        "组织志愿者开展社区防疫科普",
        "组织会员志愿者深入社区，发放防疫科普材料，解答居民疑问。",
    ),
    ("practice", "开通线上科普直播专栏", "利用短视频平台开设科普直播，每期邀请专家解读防护知识。"),
    (
        "practice",
        "搭建企业复工复产技术咨询平台",
        "通过微信群为企业提供复工复产技术咨询，解决实际难题。",
    ),
    ("deed", "会员捐赠防护物资", "会员单位捐赠口罩、消毒液等防护物资，支援基层防控。"),
)
DIFFICULTIES = (
    "部分会员单位尚未复工，线下活动无法开展，线上会议参与率不高。",
    "科普作品原创力量不足，希望省科协组织专家资源共享。",
    "学会专职人员少，周报填报与其他工作任务叠加，建议简化部分统计项。",
    "建议省科协协调相关部门，为学会专家赴企业开展技术服务提供便利。",
    "防护物资紧缺，志愿服务活动受到一定影响。",
)
DEEDS = (
    "为学校疫情防控方案提出多条被采纳的建议。",
    "通过电话和微信为三家企业解决复工复产中的技术难题。",
    "带头录制网课二十余节，帮助青年教师掌握线上教学。",
)
