"""A year of weekly reports for bench/autosave.py: 200 societies, 52 rounds of history.

    .venv/bin/python bench/survey_data.py [--data-dir DIR] [--database-url URL]

Builds, in DIR (a temporary directory by default, removed afterwards), a migrated
SQLite database — or, with --database-url, a PostgreSQL one, emptied first (refused
unless it is empty or its name contains "bench") — holding:

- the association, its staff member `bench-staff` and 200 societies, each with its
  secretary `bench-sec-001` ... `bench-sec-200` (password PASSWORD);
- surveys.examples.weekly_progress_form() as a frozen form version, and a weekly
  campaign sending it to the 200 societies that started 51 weeks before this week, so
  exactly 52 rounds are due now (their plans come from surveys.round_calendar.due_to_open,
  so the scheduler finds nothing left to open);
- rounds 1-51 closed, every response answered (each answer as check_answer stores
  it), submitted and mostly approved, a tenth returned once and resubmitted, with
  their ResponseEvents (save, submit, return, submit, approve) and an AnswerChange per
  saved answer and per correction (about 12 a response);
- round 52 open: a third not started, a third in draft with some answers, a third
  submitted; the responses the benchmark's secretaries autosave are drafts.

Rows are inserted in bulk (explicit ids, one transaction per table group), not through
surveys.rounds and surveys.state_changes, but every column holds what those would have
written (states reachable by the transitions, version = number of changes, submitted_at,
answers checked by surveys.answer_checks.check_answer).
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

from notice_data import (  # noqa: E402  (bench/ is the script's directory)
    DISCIPLINES,
    PASSWORD,
    SOCIETY_SUFFIXES,
    build_fresh,
    fix_sequences,
)

SOCIETIES = 200
ROUNDS = 52
BATCH = 5000
INFO_FILE = "bench_survey.json"
THIRTY_SECONDS = datetime.timedelta(seconds=30)
STAFF_USERNAME = "bench-staff"
# The integer question the benchmark autosaves ("召开线上会议", 次).
AUTOSAVE_QUESTION = "online_meetings"
# Which societies' secretaries the benchmark signs in (one wrk connection each): spread
# over the roster so their rows are not neighbours.
BENCH_SOCIETIES = 16

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国文斌宇浩"
EMPLOYERS = (
    "中国医科大学附属第一医院",
    "大连理工大学",
    "东北大学",
    "沈阳药科大学",
    "辽宁省疾病预防控制中心",
    "辽宁中医药大学",
    "沈阳农业大学",
    "辽宁大学",
)
SPECIALITIES = ("呼吸内科", "感染科", "公共卫生", "流行病学", "心理咨询", "药学", "护理")
CASE_TITLES = (
    "线上义诊服务群众",
    "编写防疫科普手册",
    "组织专家下沉社区",
    "开通心理援助热线",
    "短视频科普获广泛传播",
    "志愿者坚守一线",
)
DIFFICULTIES = (
    "部分会员单位复工较晚，线下活动暂缓开展。",
    "科普作品制作经费不足，希望给予支持。",
    "基层会员联系渠道有限，建议统一搭建线上平台。",
)
RETURN_REASONS = ("请补充本周科普作品阅读量。", "专家名单电话号码有误，请核对。")


@dataclass
class Secretary:
    username: str
    society_id: int
    society_name: str
    response_id: int  # their round-52 response
    answer: Any  # the stored answer to AUTOSAVE_QUESTION (None: not answered)
    version: int


@dataclass
class SurveyData:
    data_dir: str
    database_url: str
    password: str
    campaign_id: int
    round_id: int  # round 52, open
    question: str
    secretaries: list[Secretary]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# -- answers ------------------------------------------------------------------------------


def typed_answers(rng: random.Random, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """A society's week as its secretary would type it (before checking); its cases
    were reported between the days `first` and `last`."""
    days = (last - first).days + 1
    experts = [
        {
            "name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
            "employer": rng.choice(EMPLOYERS),
            "speciality": rng.choice(SPECIALITIES),
            "phone": f"13{rng.randrange(10**9):09d}",
        }
        for _ in range(rng.choice((0, 0, 1, 2, 3)))
    ]
    cases = [
        {
            "title": rng.choice(CASE_TITLES),
            "kind": rng.choice(("person", "deed", "practice")),
            "reported_on": (first + datetime.timedelta(days=rng.randrange(days))).isoformat(),
            "summary": "本周" + rng.choice(CASE_TITLES) + "，受到群众好评。",
        }
        for _ in range(rng.choice((0, 0, 0, 1, 2)))
    ]
    return {
        "online_meetings": str(rng.randint(0, 8)),
        "members_reached": f"{rng.randint(0, 2500):,}",
        "channels": rng.sample(("wechat", "weibo", "video", "website"), rng.randint(1, 3)),
        "science_items": str(rng.randint(0, 20)),
        "science_reach": str(rng.randint(0, 30000)),
        "funds": rng.choice(("", "0", "1.5", "2", "0.35", "12")),
        "experts": experts or None,
        "advice_submitted": str(rng.randint(0, 4)),
        "exemplary_cases": cases or None,
        "duty_roster": rng.choice(("yes", "yes", "yes", "no")),
        "difficulties": rng.choice(("", "", *DIFFICULTIES)),
    }


def checked_answers(form: Any, typed: dict[str, Any], keep: float, rng: random.Random) -> dict:
    """The stored answers: each typed one through check_answer, a fraction `keep` of them
    (a draft is half filled in), unanswered ones left out."""
    from surveys.answer_checks import check_answer

    stored: dict[str, Any] = {}
    for question in form.questions():
        if question.key not in typed or rng.random() >= keep:
            continue
        checked = check_answer(question, typed[question.key])
        if not checked.ok:
            raise SystemExit(f"bench data: {question.key}={typed[question.key]!r} refused")
        if checked.value is not None:
            stored[question.key] = checked.value
    return stored


def json_text(value: Any) -> str | None:
    """A JSON column's text as Tortoise writes it (None stays NULL)."""
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


async def insert_rows(
    settings: Any, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT plain rows in batches: ids from the table's sequence, datetimes as
    Tortoise stores them (ISO text on SQLite, timestamptz on PostgreSQL)."""
    from tortoise import connections

    connection = connections.get("default")
    if settings.is_sqlite:
        marks = ", ".join("?" for _ in columns)
        rows = [tuple(str(v) if isinstance(v, datetime.datetime) else v for v in r) for r in rows]
    else:
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
    for start in range(0, len(rows), BATCH):
        await connection.execute_many(sql, [list(r) for r in rows[start : start + BATCH]])


def earlier_value(value: Any, rng: random.Random) -> Any:
    """What a secretary first typed before correcting it."""
    if isinstance(value, int):
        return value + rng.choice((-1, 1, 10)) if value > 0 else value + 1
    if isinstance(value, str) and value and value[0].isdigit():
        return str(Decimal(value) + 1)
    return None


# -- building -----------------------------------------------------------------------------


async def build(settings: Any, *, seed: int = 2020) -> SurveyData:
    """Fill the (migrated, empty) database; return what the benchmark needs."""
    from tortoise import connections
    from tortoise.transactions import in_transaction

    from intranet.models import Membership, Organisation, OrganisationKind, Role, User
    from intranet.models.organisations import path_segment
    from intranet.security import hash_password
    from surveys.examples import weekly_progress_form
    from surveys.models import Campaign, Form, FormVersion, Response, Round
    from surveys.round_calendar import ScheduleKind, due_to_open
    from surveys.schema import Respondent
    from surveys.states import Action, ResponseState

    started = time.monotonic()
    rng = random.Random(seed)
    now = datetime.datetime.now(datetime.UTC)
    counts: dict[str, int] = {}

    # -- organisations and people --
    association = Organisation(
        id=1,
        path="/" + path_segment(1),
        depth=0,
        name="辽宁省科学技术协会",
        short_name="省科协",
        kind=OrganisationKind.ASSOCIATION,
        code="LNAST",
    )
    societies = []
    for index in range(SOCIETIES):
        discipline = DISCIPLINES[index % len(DISCIPLINES)]
        suffix = SOCIETY_SUFFIXES[(index // len(DISCIPLINES)) % len(SOCIETY_SUFFIXES)]
        society_id = index + 2
        societies.append(
            Organisation(
                id=society_id,
                parent_id=1,
                path=association.path + path_segment(society_id),
                depth=1,
                name=f"辽宁省{discipline}{suffix}"
                + ("" if index < len(DISCIPLINES) else f"（{index}）"),
                short_name=f"{discipline}{suffix}"[:40],
                kind=OrganisationKind.SOCIETY,
                code=f"S{index + 1:03d}",
            )
        )
    password_hash = hash_password(settings, PASSWORD)
    users = [
        User(
            id=1, username=STAFF_USERNAME, display_name="科协工作人员", password_hash=password_hash
        )
    ]
    memberships = [Membership(user_id=1, organisation_id=1, role=Role.STAFF)]
    for index, society in enumerate(societies):
        user_id = index + 2
        users.append(
            User(
                id=user_id,
                username=f"bench-sec-{index + 1:03d}",
                display_name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
                email=f"sec{index + 1:03d}@example.org",
                password_hash=password_hash,
            )
        )
        memberships.append(
            Membership(user_id=user_id, organisation_id=society.id, role=Role.SECRETARY)
        )
    secretary_of = {society.id: index + 2 for index, society in enumerate(societies)}
    async with in_transaction():
        await Organisation.bulk_create([association, *societies])
        await User.bulk_create(users)
        await Membership.bulk_create(memberships)
    counts["societies"] = len(societies)

    # -- the form and the weekly campaign, started so that 52 rounds are due now --
    definition = weekly_progress_form()
    local_today = now.astimezone(settings.zone).date()
    this_monday = local_today - datetime.timedelta(days=local_today.weekday())
    form = await Form.create(
        id=1, title=definition.title, respondent=Respondent.ORGANISATION, owner_id=1
    )
    version = await FormVersion.create(
        id=1, form=form, number=1, definition=definition.to_dict(), frozen=True
    )
    campaign = await Campaign.create(
        id=1,
        title="疫情防控工作进展周报",
        form_version=version,
        organiser_id=1,
        schedule_kind=ScheduleKind.WEEKLY,
        starts_on=this_monday - datetime.timedelta(weeks=ROUNDS - 1),
        due_offset_days=0,
        roster_organisations=[s.id for s in societies],
        created_by_id=1,
    )
    plans = due_to_open(campaign.schedule(settings.zone), now, set())
    if len(plans) != ROUNDS:
        raise SystemExit(f"bench data: the schedule gives {len(plans)} rounds, not {ROUNDS}")

    # -- rounds, responses, their events and answer changes --
    rounds: list[Round] = []
    responses: list[Response] = []
    # Events and answer changes are plain rows (about 140,000): model instances would
    # take most of the build's time.
    events: list[tuple[Any, ...]] = []
    changes: list[tuple[Any, ...]] = []
    secretaries: list[Secretary] = []
    step = SOCIETIES // BENCH_SOCIETIES
    bench_indexes = {i * step + 3 for i in range(BENCH_SOCIETIES)}

    def event(
        response_id: int,
        action: Action,
        before: ResponseState,
        after: ResponseState,
        actor: int,
        at: datetime.datetime,
        reason: str = "",
    ) -> None:
        events.append((response_id, action.value, before.value, after.value, reason, actor, at))

    def record_changes(
        response_id: int, answers: dict[str, Any], actor: int, at: datetime.datetime
    ) -> int:
        """One AnswerChange per saved answer, two where the first value was corrected."""
        made = 0
        for minute, (key, value) in enumerate(answers.items()):
            when = at + datetime.timedelta(minutes=minute)
            old = None
            if rng.random() < 0.15 and (first := earlier_value(value, rng)) is not None:
                changes.append((response_id, key, None, first, actor, when))
                old, made = first, made + 1
            changes.append((response_id, key, old, value, actor, when + THIRTY_SECONDS))
            made += 1
        return made

    S = ResponseState

    def review(
        response_id: int, secretary: int, submitted_at: datetime.datetime
    ) -> tuple[ResponseState, datetime.datetime, int]:
        """The staff's review of a submitted response: a tenth returned once and
        resubmitted, nine tenths then approved. Returns the state it ends in, when it
        was last submitted and how many steps were taken."""
        reviewed_at = submitted_at + datetime.timedelta(hours=rng.randint(2, 30))
        before, steps = S.SUBMITTED, 0
        if rng.random() < 0.1:
            reason = rng.choice(RETURN_REASONS)
            event(response_id, Action.RETURN, before, S.RETURNED, 1, reviewed_at, reason)
            submitted_at = reviewed_at + datetime.timedelta(hours=3)
            event(response_id, Action.SUBMIT, S.RETURNED, S.RESUBMITTED, secretary, submitted_at)
            reviewed_at = submitted_at + datetime.timedelta(hours=5)
            before, steps = S.RESUBMITTED, 2
        if rng.random() >= 0.9:
            return before, submitted_at, steps
        event(response_id, Action.APPROVE, before, S.APPROVED, 1, reviewed_at)
        return S.APPROVED, submitted_at, steps + 1

    for plan in plans:
        last = plan.number == ROUNDS
        round_ = Round(
            id=plan.number,
            campaign_id=campaign.id,
            number=plan.number,
            period_start=plan.period_start,
            period_end=plan.period_end,
            opens_at=plan.opens_at,
            due_at=plan.due_at,
            closed_at=None if last else plan.due_at + datetime.timedelta(days=3),
            created_at=plan.opens_at,
        )
        rounds.append(round_)
        for index, society in enumerate(societies):
            response_id = (plan.number - 1) * SOCIETIES + index + 1
            secretary = secretary_of[society.id]
            typed = typed_answers(rng, plan.period_start, min(plan.period_end, local_today))
            filled_at = plan.opens_at + datetime.timedelta(
                days=rng.randint(2, 5), hours=rng.randint(0, 9)
            )
            if last:
                roll = 0.5 if index in bench_indexes else rng.random()
                state = S.NOT_STARTED if roll < 1 / 3 else S.DRAFT if roll < 2 / 3 else S.SUBMITTED
                keep = {S.NOT_STARTED: 0.0, S.DRAFT: 0.5, S.SUBMITTED: 1.0}[state]
                filled_at = min(filled_at, now - datetime.timedelta(hours=1))
            else:
                state, keep = S.APPROVED, 1.0
            answers = checked_answers(definition, typed, keep, rng)
            if index in bench_indexes:
                answers.setdefault(AUTOSAVE_QUESTION, rng.randint(0, 8))
            made = record_changes(response_id, answers, secretary, filled_at)
            submitted_at = None
            if state != S.NOT_STARTED:
                event(response_id, Action.SAVE, S.NOT_STARTED, S.DRAFT, secretary, filled_at)
                made += 1
            if state in (S.SUBMITTED, S.APPROVED):
                submitted_at = filled_at + datetime.timedelta(hours=1)
                event(response_id, Action.SUBMIT, S.DRAFT, S.SUBMITTED, secretary, submitted_at)
                made += 1
                if state == S.APPROVED:
                    state, submitted_at, steps = review(response_id, secretary, submitted_at)
                    made += steps
            responses.append(
                Response(
                    id=response_id,
                    round_id=round_.id,
                    organisation_id=society.id,
                    state=state,
                    version=made,
                    answers=answers,
                    submitted_at=submitted_at,
                )
            )
            if last and index in bench_indexes:
                secretaries.append(
                    Secretary(
                        username=f"bench-sec-{index + 1:03d}",
                        society_id=society.id,
                        society_name=society.name,
                        response_id=response_id,
                        answer=answers.get(AUTOSAVE_QUESTION),
                        version=made,
                    )
                )

    async with in_transaction():
        await Round.bulk_create(rounds)
        await Response.bulk_create(responses, batch_size=BATCH // 5)
        await insert_rows(
            settings,
            "survey_response_event",
            ("response_id", "action", "from_state", "to_state", "reason", "actor_id", "created_at"),
            events,
        )
        await insert_rows(
            settings,
            "survey_answer_change",
            ("response_id", "question_key", "old_value", "new_value", "actor_id", "created_at"),
            [(r, k, json_text(old), json_text(new), a, at) for r, k, old, new, a, at in changes],
        )
    counts["rounds"] = len(rounds)
    counts["responses"] = len(responses)
    counts["response events"] = len(events)
    counts["answer changes"] = len(changes)

    if not settings.is_sqlite:
        await fix_sequences(
            [
                "organisation",
                "user",
                "membership",
                "survey_form",
                "survey_form_version",
                "survey_campaign",
                "survey_round",
                "survey_response",
                "survey_response_event",
                "survey_answer_change",
            ]
        )
    await connections.get("default").execute_script("ANALYZE")
    return SurveyData(
        data_dir=str(settings.data_dir),
        database_url=settings.database_url,
        password=PASSWORD,
        campaign_id=campaign.id,
        round_id=ROUNDS,
        question=AUTOSAVE_QUESTION,
        secretaries=secretaries,
        counts=counts,
        seconds=time.monotonic() - started,
    )


def generate(data_dir: Path, database_url: str | None = None, **options: Any) -> SurveyData:
    """Migrate and fill a fresh database in `data_dir` (SQLite) or at `database_url`."""
    data: SurveyData = build_fresh(data_dir, database_url, build, INFO_FILE, **options)
    return data


def describe(data: SurveyData) -> str:
    counts = ", ".join(f"{value:,} {name}" for name, value in data.counts.items())
    return f"built in {data.seconds:.1f} s: {counts}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: temporary)")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL instead of SQLite, e.g. postgres://postgres@127.0.0.1:5432/huibao_bench"
        " (emptied first; refused unless empty or named *bench*)",
    )
    args = parser.parse_args()
    if args.data_dir:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        data = generate(args.data_dir.resolve(), args.database_url)
        print(describe(data))
        first = data.secretaries[0]
        print(
            f"data in {args.data_dir}; sign in as {first.username} / {PASSWORD} "
            f"(response {first.response_id}) or {STAFF_USERNAME}"
        )
        return 0
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
        print(describe(generate(Path(data_dir), args.database_url)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
