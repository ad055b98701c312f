"""A database the size the notice benchmarks ask for: 5,000 published notices and
20,000 people, for bench/notice_list.py and bench/notice_search.py.

    .venv/bin/python bench/notice_data.py [--data-dir DIR] [--database-url URL]

Builds, in DIR (a temporary directory by default, removed afterwards), a migrated
SQLite database — or, with --database-url, a PostgreSQL one, emptied first — holding:
the association, ~200 societies (a quarter with a branch, some in categories), 20,000
people each a member of one society (a secretary per society, a few association staff),
5,000 published notices from the association and the societies with Chinese titles and
bodies built from the sentences of tests/fixtures/notices/, addressed to all societies,
to categories, to organisations and to all members of an organisation, ~20% public, a
few pinned, and read receipts. The benchmark member (`bench-member`) is a member of one
society; about 30% of the notices they may read are marked read.

The rows are inserted in bulk, not through workflow.publish, but every column is what
publication would have written: state, published_at, year, document_number, number_key,
body_html, search_text (workflow.refresh_search_text) and the NoticeAudience rows
(checked against audience.receiving_organisations for a sample of notices).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_DIR = Path(__file__).resolve().parent.parent
if str(REPO_DIR) not in sys.path:
    sys.path.insert(0, str(REPO_DIR))

FIXTURES = REPO_DIR / "tests" / "fixtures" / "notices"
MEMBER_USERNAME = "bench-member"
PASSWORD = "bench-password-2020"
CHEAP_ARGON2 = {
    "HUIBAO_ARGON2_TIME_COST": "1",
    "HUIBAO_ARGON2_MEMORY_KIB": "64",
    "HUIBAO_ARGON2_PARALLELISM": "1",
}
BATCH = 2000
ROWS_FILE = "bench_first_page.json"  # the member's first page, for the bare Jinja2 page
INFO_FILE = "bench_data.json"

ASSOCIATION = "辽宁省科学技术协会"
DISCIPLINES = (
    "计算机", "医学", "药学", "护理", "中医药", "预防医学", "生物医学工程", "营养", "心理",
    "数学", "物理", "化学", "天文", "气象", "地理", "地质", "海洋", "生态", "环境科学",
    "植物", "动物", "昆虫", "微生物", "遗传", "生物化学", "细胞生物", "生理", "解剖",
    "农学", "园艺", "林学", "畜牧兽医", "水产", "土壤肥料", "植物保护", "农业机械", "草业",
    "机械工程", "电机工程", "电子", "通信", "自动化", "仪器仪表", "计量测试", "焊接",
    "铸造", "锻压", "热处理", "金属", "有色金属", "稀土", "硅酸盐", "化工", "石油",
    "煤炭", "电力", "水利", "土木建筑", "建筑", "城市规划", "交通运输", "公路", "铁道",
    "航空", "造船", "汽车工程", "纺织工程", "造纸", "食品科学技术", "粮油", "包装",
    "测绘地理信息", "遥感", "图象图形", "人工智能", "软件", "信息安全", "大数据",
    "标准化", "质量", "管理科学", "技术经济", "科学技术史", "自然辩证法", "科普作家",
    "科技期刊", "青少年科技教育", "老科技工作者", "女科技工作者", "发明", "知识产权",
    "抗癌", "麻醉", "康复医学", "眼科", "口腔医学", "儿科", "妇产科", "骨科", "神经科学",
    "免疫", "病理", "检验医学", "放射医学", "核学会", "光学", "声学", "力学", "振动工程",
    "真空", "腐蚀与防护", "表面工程", "复合材料", "材料研究", "塑料", "橡胶", "涂料",
    "印刷", "照明", "制冷", "暖通空调", "给水排水", "燃气", "消防", "安全生产", "应急管理",
    "地震", "防灾减灾", "水土保持", "湿地保护", "野生动物保护", "林业经济", "茶叶", "蚕学",
    "养蜂", "食用菌", "果树", "蔬菜", "花卉", "中草药", "作物", "种子", "农业工程", "农业经济",
)  # fmt: skip
SOCIETY_SUFFIXES = ("学会", "学会", "学会", "协会", "研究会")
CATEGORIES = ("医药卫生类", "理科类", "工科类", "农科类", "交叉学科类", "科普类")
ACTIONS = (
    "开展", "做好", "组织", "举办", "推荐", "申报", "征集", "召开", "加强", "启动",
    "部署", "落实", "印发",
)  # fmt: skip
TOPICS = (
    "网上值班", "专家储备", "科普宣传", "学术年会", "青年人才托举工程", "疫情防控",
    "全国科技工作者日", "优秀论文评选", "学会能力提升", "会员发展", "全国科普日",
    "决策咨询", "科技志愿服务", "学会党建", "年度工作总结", "财务专项检查", "换届选举",
    "创新驱动助力工程", "科技成果评价", "继续教育培训", "学术交流", "科技奖励推荐",
    "信息报送", "统计年报", "安全生产检查", "节日期间值班", "科技咨询服务", "团体标准",
)  # fmt: skip
ENDINGS = (
    "工作的通知", "活动的通知", "有关事项的通知", "工作的通知", "的通知", "工作方案的通知",
)  # fmt: skip
NEWS_TITLES = (
    "{org}召开{year}年{topic}工作会议", "{org}圆满完成{topic}各项任务",
    "{org}{topic}工作取得新进展", "{org}举办{topic}专题培训",
)  # fmt: skip
SALUTATIONS = {
    "all": "各省级学会（协会、研究会）：",
    "members": "各会员单位及个人会员：",
    "org": "{name}：",
    "category": "{name}各学会：",
}


@dataclass
class BenchData:
    data_dir: str
    database_url: str
    member_id: int
    member_username: str
    member_password: str
    society_id: int
    society_name: str
    session_token: str
    readable: int  # notices the member may read
    readable_unread: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def cookie(self) -> str:
        return f"huibao_session={self.session_token}; huibao_visitor=bench-visitor"


# -- text ---------------------------------------------------------------------------------


def fixture_sentences() -> list[str]:
    """Sentences of the two real notices, whitespace and PDF line breaks removed."""
    sentences: list[str] = []
    for path in sorted(FIXTURES.glob("*.txt")):
        text = "".join(path.read_text(encoding="utf-8").split())
        for piece in re.findall(r"[^。！？]+[。！？]", text):
            piece = re.sub(r"^[一二三四五六七八九十]+、|^\d+\.", "", piece)
            if 12 <= len(piece) <= 160 and "〔" not in piece and "文件" not in piece:
                sentences.append(piece)
    return sentences


def body_markdown(rng: random.Random, sentences: list[str], salutation: str, topic: str) -> str:
    paragraphs = [salutation]
    paragraphs.append(f"为做好{topic}工作，现将有关事项通知如下。")
    for _ in range(rng.randint(2, 3)):
        paragraphs.append("".join(rng.sample(sentences, rng.randint(1, 3))))
    paragraphs.append(f"请各单位高度重视{topic}工作，按要求认真组织落实。")
    return "\n\n".join(paragraphs)


# -- building -----------------------------------------------------------------------------


def environment(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """The HUIBAO_* settings for the site on the generated database (for uvicorn)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUIBAO_")}
    env.update(CHEAP_ARGON2, HUIBAO_DATA_DIR=str(data_dir), HUIBAO_DEBUG="0")
    if database_url:
        env["HUIBAO_DATABASE_URL"] = database_url
    return env


async def empty_postgres(url: str) -> None:
    """Drop everything in the benchmark's PostgreSQL database, which must be empty
    already or have "bench" in its name (so a real database is never emptied)."""
    import asyncpg

    name = urlsplit(url).path.lstrip("/")
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        tables = await connection.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        if tables and "bench" not in name:
            raise SystemExit(
                f"refusing to empty database {name!r}: it has tables and no 'bench' in its name"
            )
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


async def fix_sequences(tables: list[str]) -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's sequences past them."""
    from tortoise import connections

    connection = connections.get("default")
    for table in tables:
        await connection.execute_script(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT coalesce(max(id), 1) FROM "{table}"))'
        )


async def build(
    settings: Any,
    *,
    seed: int = 2020,
    notice_count: int = 5000,
    people: int = 20000,
    societies: int = 200,
) -> BenchData:
    """Fill the (migrated, initialised, empty) database. Returns what the benchmarks need."""
    from tortoise import timezone
    from tortoise.transactions import in_transaction

    from intranet.accounts import start_session
    from intranet.models import (
        Category,
        Membership,
        Organisation,
        OrganisationKind,
        Role,
        User,
    )
    from intranet.models.organisations import path_segment
    from intranet.notices import workflow
    from intranet.notices.audience import receiving_organisations
    from intranet.notices.models import (
        AddresseeRole,
        AddresseeTarget,
        AudienceScope,
        BodyFormat,
        DocumentPrefix,
        Notice,
        NoticeAddressee,
        NoticeAudience,
        NoticeCategory,
        NoticeRead,
        NoticeState,
        NumberSequence,
    )
    from intranet.notices.numbering import number_key, render_number
    from intranet.notices.paste import DocumentNumber
    from intranet.notices.sanitise import markdown_to_html
    from intranet.security import hash_password

    started = time.monotonic()
    rng = random.Random(seed)
    sentences = fixture_sentences()
    now = timezone.now()
    counts: dict[str, int] = {}

    # -- organisations: the association, its departments, societies, some branches --
    organisations: list[Organisation] = []
    next_id = 1

    def organisation(parent: Organisation | None, **values: Any) -> Organisation:
        nonlocal next_id
        path = (parent.path if parent else "/") + path_segment(next_id)
        created = Organisation(
            id=next_id,
            parent_id=parent.id if parent else None,
            path=path,
            depth=parent.depth + 1 if parent else 0,
            **values,
        )
        next_id += 1
        organisations.append(created)
        return created

    association = organisation(
        None, name=ASSOCIATION, short_name="省科协", kind=OrganisationKind.ASSOCIATION, code="LNAST"
    )
    for name in ("办公室", "学会学术部", "科学普及部"):
        organisation(association, name=name, kind=OrganisationKind.DEPARTMENT)
    society_list: list[Organisation] = []
    used_names: set[str] = set()
    for index in range(societies):
        discipline = DISCIPLINES[index % len(DISCIPLINES)]
        suffix = SOCIETY_SUFFIXES[(index // len(DISCIPLINES)) % len(SOCIETY_SUFFIXES)]
        name = f"辽宁省{discipline}{suffix}"
        if name in used_names:
            name = f"辽宁省{discipline}工程{suffix}"
        used_names.add(name)
        society_list.append(
            organisation(
                association,
                name=name,
                short_name=f"{discipline}{suffix}"[:40],
                kind=OrganisationKind.SOCIETY,
                code=f"S{index + 1:03d}",
            )
        )
    branches: dict[int, list[Organisation]] = {}
    for society in society_list[::4]:
        branch = organisation(
            society, name=f"{society.name}青年工作委员会", kind=OrganisationKind.BRANCH
        )
        branches.setdefault(society.id, []).append(branch)

    categories = [Category(id=i, name=name, sort_order=i) for i, name in enumerate(CATEGORIES, 1)]
    in_category: dict[int, list[int]] = {c.id: [] for c in categories}
    category_rows: list[tuple[int, int]] = []
    for society in society_list:
        if rng.random() < 0.7:
            for category in rng.sample(categories, rng.choice((1, 1, 1, 2))):
                in_category[category.id].append(society.id)
                category_rows.append((society.id, category.id))

    async with in_transaction() as connection:
        await Category.bulk_create(categories)
        await Organisation.bulk_create(organisations, batch_size=BATCH)
        await connection.execute_many(
            "INSERT INTO organisation_category (organisation_id, category_id) VALUES (?, ?)"
            if settings.is_sqlite
            else "INSERT INTO organisation_category (organisation_id, category_id) VALUES ($1, $2)",
            [list(row) for row in category_rows],
        )
    counts["organisations"] = len(organisations)

    # -- people: one password hash for all of them --
    password_hash = hash_password(settings, PASSWORD)
    member_society = society_list[6]
    users: list[User] = []
    memberships: list[Membership] = []
    secretaries: dict[int, int] = {}
    staff_ids: list[int] = []
    member_id = 1
    users.append(
        User(
            id=1,
            username=MEMBER_USERNAME,
            display_name="测试会员",
            email="bench-member@example.org",
            password_hash=password_hash,
        )
    )
    memberships.append(Membership(user_id=1, organisation_id=member_society.id, role=Role.MEMBER))
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国文斌宇浩"
    for user_id in range(2, people + 1):
        name = rng.choice(surnames) + "".join(rng.choices(given, k=rng.choice((1, 2))))
        users.append(
            User(
                id=user_id,
                username=f"user{user_id:05d}",
                display_name=name,
                email=f"user{user_id:05d}@example.org",
                password_hash=password_hash,
            )
        )
        if user_id <= 6:
            role, where = Role.STAFF, association
            staff_ids.append(user_id)
        elif user_id <= 6 + len(society_list):
            where = society_list[user_id - 7]
            role = Role.SECRETARY
            secretaries[where.id] = user_id
        else:
            society = rng.choice(society_list)
            where = society
            if society.id in branches and rng.random() < 0.1:
                where = branches[society.id][0]
            role = Role.MEMBER
        memberships.append(Membership(user_id=user_id, organisation_id=where.id, role=role))
    async with in_transaction():
        await User.bulk_create(users, batch_size=BATCH)
        await Membership.bulk_create(memberships, batch_size=BATCH)
    counts["people"] = len(users)
    counts["memberships"] = len(memberships)

    # -- prefixes (机关代字) --
    prefixes: dict[int, DocumentPrefix] = {}
    prefix_rows = [DocumentPrefix(id=1, organisation_id=association.id, text="辽科协发")]
    for index, society in enumerate(society_list, start=2):
        discipline = society.short_name[:2]
        prefix_rows.append(
            DocumentPrefix(id=index, organisation_id=society.id, text=f"辽{discipline}会字")
        )
    for row in prefix_rows:
        row.is_default = True
        prefixes[row.organisation_id] = row  # type: ignore[attr-defined]
    await DocumentPrefix.bulk_create(prefix_rows)

    # -- notices --
    active_ids = [o.id for o in organisations]
    by_id = {o.id: o for o in organisations}
    society_ids = [s.id for s in society_list]
    start_day = datetime.date(2016, 1, 4)
    span_days = (datetime.date(2025, 12, 20) - start_day).days
    days = sorted(rng.randrange(span_days) for _ in range(notice_count))
    sequence: dict[tuple[int, int], int] = {}
    notices: list[Notice] = []
    addressees: list[NoticeAddressee] = []
    audience: list[NoticeAudience] = []
    received_by: dict[int, dict[int, tuple[AudienceScope, AddresseeRole]]] = {}

    def expand(target: AddresseeTarget, thing_id: int | None) -> tuple[list[int], AudienceScope]:
        """The organisations an addressee reaches, as audience.receiving_organisations."""
        if target == AddresseeTarget.ORGANISATION:
            return [thing_id or 0], AudienceScope.UNIT
        if target == AddresseeTarget.CATEGORY:
            return in_category[thing_id or 0], AudienceScope.UNIT
        if target == AddresseeTarget.ALL_SOCIETIES:
            return society_ids, AudienceScope.UNIT
        top = by_id[thing_id or 0]
        return [i for i in active_ids if by_id[i].path.startswith(top.path)], AudienceScope.EVERYONE

    for notice_id, day in enumerate(days, start=1):
        issued_on = start_day + datetime.timedelta(days=day)
        year = issued_on.year
        from_association = rng.random() < 0.4
        issuer = association if from_association else rng.choice(society_list)
        topic = rng.choice(TOPICS)
        category = NoticeCategory.NOTICE
        roll = rng.random()
        is_public = False
        lines: list[tuple[AddresseeRole, AddresseeTarget, int | None]] = []
        if from_association:
            if roll < 0.35:
                lines.append((AddresseeRole.TO, AddresseeTarget.ALL_SOCIETIES, None))
                salutation = SALUTATIONS["all"]
            elif roll < 0.55:
                chosen = rng.sample(categories, rng.choice((1, 2)))
                lines += [(AddresseeRole.TO, AddresseeTarget.CATEGORY, c.id) for c in chosen]
                salutation = SALUTATIONS["category"].format(name="、".join(c.name for c in chosen))
            elif roll < 0.70:
                lines.append((AddresseeRole.TO, AddresseeTarget.MEMBERS_OF, association.id))
                salutation = SALUTATIONS["members"]
            else:
                chosen_orgs = rng.sample(society_list, rng.randint(1, 4))
                lines += [
                    (AddresseeRole.TO, AddresseeTarget.ORGANISATION, o.id) for o in chosen_orgs
                ]
                salutation = SALUTATIONS["org"].format(name="、".join(o.name for o in chosen_orgs))
            if rng.random() < 0.15:
                lines.append(
                    (AddresseeRole.CC, AddresseeTarget.ORGANISATION, rng.choice(active_ids[1:4]))
                )
        else:
            if roll < 0.6:
                lines.append((AddresseeRole.TO, AddresseeTarget.MEMBERS_OF, issuer.id))
                salutation = SALUTATIONS["members"]
            else:
                lines.append((AddresseeRole.TO, AddresseeTarget.ORGANISATION, association.id))
                salutation = SALUTATIONS["org"].format(name=ASSOCIATION)
        if rng.random() < 0.2:
            is_public = True
            category = rng.choice((NoticeCategory.NEWS, NoticeCategory.ANNOUNCEMENT))
        if category == NoticeCategory.NEWS:
            title = rng.choice(NEWS_TITLES).format(
                org=issuer.short_name or issuer.name, year=year, topic=topic
            )
        elif rng.random() < 0.08:
            title = f"关于转发中国科学技术协会《关于{rng.choice(ACTIONS)}{topic}工作的意见》的通知"
        else:
            when = f"{year}年" if rng.random() < 0.4 else ""
            title = f"关于{rng.choice(ACTIONS)}{when}{topic}{rng.choice(ENDINGS)}"
        prefix = prefixes[issuer.id]
        key = (prefix.id, year)
        sequence[key] = sequence.get(key, 0) + 1
        number = render_number(prefix.text, year, sequence[key])
        source = body_markdown(rng, sentences, salutation, topic)
        published_at = datetime.datetime.combine(
            issued_on, datetime.time(8 + rng.randrange(10), rng.randrange(60)), datetime.UTC
        )
        notice = Notice(
            id=notice_id,
            issuer_id=issuer.id,
            author_id=staff_ids[0] if from_association else secretaries[issuer.id],
            prefix_id=prefix.id,
            document_number=number,
            number_key=number_key(DocumentNumber(number, prefix.text, year, sequence[key])),
            title=title[:200],
            addressee_line=salutation.rstrip("："),
            signature=issuer.name,
            issued_on=issued_on,
            year=year,
            category=category,
            pinned=day > span_days - 400 and rng.random() < 0.03,
            is_public=is_public,
            state=NoticeState.PUBLISHED,
            published_at=published_at,
            created_at=published_at,
            updated_at=published_at,
        )
        notice.body_format = BodyFormat.MARKDOWN
        notice.body_source = source
        notice.body_html = markdown_to_html(source)
        workflow.refresh_search_text(notice)
        notices.append(notice)

        received: dict[int, tuple[AudienceScope, AddresseeRole]] = {}
        for role, target, thing_id in lines:
            addressees.append(
                NoticeAddressee(
                    notice_id=notice_id,
                    role=role,
                    target=target,
                    organisation_id=thing_id
                    if target in (AddresseeTarget.ORGANISATION, AddresseeTarget.MEMBERS_OF)
                    else None,
                    category_id=thing_id if target == AddresseeTarget.CATEGORY else None,
                )
            )
            ids, scope = expand(target, thing_id)
            for organisation_id in ids:
                old_scope, old_role = received.get(organisation_id, (AudienceScope.UNIT, role))
                wider = (
                    AudienceScope.EVERYONE
                    if AudienceScope.EVERYONE in (old_scope, scope)
                    else scope
                )
                stronger = AddresseeRole.TO if AddresseeRole.TO in (old_role, role) else role
                received[organisation_id] = (wider, stronger)
        received_by[notice_id] = received
        audience += [
            NoticeAudience(notice_id=notice_id, organisation_id=org_id, scope=scope, role=role)
            for org_id, (scope, role) in received.items()
        ]

    # Who may read what: the member's society (and the association above it, which only
    # matters for acting roles) with scope EVERYONE, or public.
    member_orgs = {member_society.id}
    readable_ids = [
        n.id
        for n in notices
        if n.is_public
        or any(
            received_by[n.id].get(o, (AudienceScope.UNIT,))[0] == AudienceScope.EVERYONE
            for o in member_orgs
        )
    ]
    read_by_member = set(rng.sample(readable_ids, round(len(readable_ids) * 0.3)))
    reads = [
        NoticeRead(notice_id=notice_id, user_id=member_id, read_at=now)
        for notice_id in sorted(read_by_member)
    ]
    # Other people's receipts, so notice_read is not the member's alone.
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < 60000:
        pairs.add((rng.randint(1, notice_count), rng.randint(2, people)))
    reads += [NoticeRead(notice_id=n, user_id=u, read_at=now) for n, u in sorted(pairs)]
    sequences = [
        NumberSequence(prefix_id=prefix_id, year=year, last_number=last)
        for (prefix_id, year), last in sorted(sequence.items())
    ]

    async with in_transaction():
        await Notice.bulk_create(notices, batch_size=500)
        await NoticeAddressee.bulk_create(addressees, batch_size=BATCH)
        await NoticeAudience.bulk_create(audience, batch_size=BATCH * 5)
        await NoticeRead.bulk_create(reads, batch_size=BATCH * 5)
        await NumberSequence.bulk_create(sequences, batch_size=BATCH)
    counts["notices"] = len(notices)
    counts["addressees"] = len(addressees)
    counts["audience rows"] = len(audience)
    counts["read receipts"] = len(reads)

    if not settings.is_sqlite:
        await fix_sequences(
            ["organisation", "category", "user", "membership", "document_prefix", "notice",
             "notice_addressee", "notice_audience", "notice_read", "number_sequence"]
        )  # fmt: skip

    # The audience must be what publication would have made: check a sample.
    for notice_id in rng.sample(range(1, notice_count + 1), 40):
        lines_of = await NoticeAddressee.filter(notice_id=notice_id)
        expected = await receiving_organisations(lines_of)
        if expected != received_by[notice_id]:
            raise SystemExit(f"audience of notice {notice_id} differs from fix_audience's")

    member = await User.get(id=member_id)
    token = await start_session(settings, member, "127.0.0.1", "wrk")
    await write_first_page(settings, member_id)
    from tortoise import connections

    await connections.get("default").execute_script("ANALYZE")
    return BenchData(
        data_dir=str(settings.data_dir),
        database_url=settings.database_url,
        member_id=member_id,
        member_username=MEMBER_USERNAME,
        member_password=PASSWORD,
        society_id=member_society.id,
        society_name=member_society.name,
        session_token=token,
        readable=len(readable_ids),
        readable_unread=len(readable_ids) - len(read_by_member),
        counts=counts,
        seconds=time.monotonic() - started,
    )


async def write_first_page(settings: Any, member_id: int) -> None:
    """The member's first 50 notices as the list orders them (pinned, then newest),
    kept as JSON for the bare Jinja2 page of bench/notice_list.py."""
    from intranet.models import Membership
    from intranet.notices.models import NoticeRead
    from intranet.policy import readable_notices

    held = await Membership.filter(user_id=member_id).select_related("organisation")
    page = (
        await readable_notices(held)
        .order_by("-pinned", "-published_at", "-id")
        .limit(50)
        .select_related("issuer")
    )
    read = set(
        await NoticeRead.filter(user_id=member_id, notice_id__in=[n.id for n in page]).values_list(
            "notice_id", flat=True
        )
    )
    rows = [
        {
            "id": n.id,
            "number": n.document_number or "",
            "title": n.title,
            "issuer": n.issuer.display_short_name,
            "issued_on": n.issued_on.isoformat() if n.issued_on else "",
            "category": str(n.category),
            "pinned": n.pinned,
            "unread": n.id not in read,
        }
        for n in page
    ]
    (settings.data_dir / ROWS_FILE).write_text(
        json.dumps(rows, ensure_ascii=False), encoding="utf-8"
    )


def generate(data_dir: Path, database_url: str | None = None, **options: Any) -> BenchData:
    """Migrate and fill a fresh database in `data_dir` (SQLite) or at `database_url`."""
    data: BenchData = build_fresh(data_dir, database_url, build, INFO_FILE, **options)
    return data


def build_fresh(
    data_dir: Path,
    database_url: str | None,
    builder: Callable[..., Awaitable[Any]],
    info_file: str,
    **options: Any,
) -> Any:
    """Migrate a fresh database (SQLite in `data_dir`, or PostgreSQL at `database_url`),
    fill it with `builder(settings, **options)`, and keep what it returns in `info_file`."""
    from intranet import db
    from intranet.settings import load_settings

    settings = load_settings(environment(data_dir, database_url))

    # Tortoise caches each model's INSERT statements per connection name: a second build
    # in one process, on the other database, must not reuse the first one's placeholders.
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    EXECUTOR_CACHE.clear()

    async def run() -> Any:
        if not settings.is_sqlite:
            await empty_postgres(settings.database_url)
        else:  # a kept --data-dir is built afresh
            for suffix in ("", "-wal", "-shm"):
                Path(settings.database_url.removeprefix("sqlite://") + suffix).unlink(
                    missing_ok=True
                )
        try:
            await db.migrate(settings)
            await db.close()
            await db.init(settings)
            data = await builder(settings, **options)
        finally:
            await db.close()
        (data_dir / info_file).write_text(
            json.dumps(asdict(data), ensure_ascii=False, default=str), encoding="utf-8"
        )
        return data

    return asyncio.run(run())


def describe(data: BenchData) -> str:
    counts = ", ".join(f"{value:,} {name}" for name, value in data.counts.items())
    return (
        f"built in {data.seconds:.1f} s: {counts}\n"
        f"member {data.member_username!r} of {data.society_name} may read {data.readable:,} "
        f"notices ({data.readable_unread:,} unread)"
    )


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
        print(f"data in {args.data_dir}; sign in as {data.member_username} / {PASSWORD}")
        return 0
    with tempfile.TemporaryDirectory(prefix="huibao-bench-") as data_dir:
        data = generate(Path(data_dir), args.database_url)
        print(describe(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
