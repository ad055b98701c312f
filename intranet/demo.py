"""Demo data: a provincial association, its societies, one person per role, and notices.

Loaded only into a database without organisations, in one transaction, so a failed
load leaves nothing behind and a second load finds the first and does nothing.
The notices are the two real ones in demo_data/notices/ (the association's 辽科协发〔2020〕3号
and the computer society's forwarding of it, and a university department's notice)
and a few short ones; a database the demo loaded before notices existed gets them on
the next load, and a second load finds each by issuer and title and adds nothing.
Then each area built on the intranet adds its own demo data (`_area_demos`), the same way.
The demo passwords are fixed and printed: never load this into a real site.

Longer than the 400 lines a module is kept under: it is data written out as code (the
organisations, people and notices of one demo), read top to bottom, not logic to hold in
mind; splitting it would only scatter one story over several files.
"""

from __future__ import annotations

import asyncio
import datetime
import re
from dataclasses import dataclass, field
from importlib import resources

from tortoise import timezone
from tortoise.transactions import in_transaction

from intranet import audit
from intranet.areas import load_areas
from intranet.models import (
    AuditEvent,
    Category,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from intranet.notices import audience, workflow
from intranet.notices.models import (
    AddresseeRole,
    AddresseeTarget,
    BodyFormat,
    DocumentPrefix,
    Notice,
    NoticeAddressee,
    NoticeAttachment,
    NoticeCategory,
    NoticeReminder,
    NoticeState,
)
from intranet.notices.paste import PastedNotice, parse_notice
from intranet.security import hash_password
from intranet.settings import Settings
from intranet.storage import LocalStorage
from intranet.uploads import check_attachment_file

ASSOCIATION = "辽宁省科学技术协会"
CATEGORIES = ("理科类", "工科类", "农科类", "医药卫生类", "交叉学科类")
DEPARTMENTS = ("办公室", "学会部", "科学普及部", "组织人事部")


@dataclass(frozen=True)
class DemoSociety:
    name: str
    short_name: str
    code: str
    categories: tuple[str, ...]
    contact_name: str


SOCIETIES = (
    DemoSociety("辽宁省数学会", "数学会", "LNMS", ("理科类",), "孙建国"),
    DemoSociety("辽宁省物理学会", "物理学会", "LNPS", ("理科类",), "周明"),
    DemoSociety("辽宁省化学会", "化学会", "LNCHS", ("理科类",), "吴晓燕"),
    DemoSociety("辽宁省地理学会", "地理学会", "LNGS", ("理科类",), "郑海涛"),
    DemoSociety("辽宁省气象学会", "气象学会", "LNMETS", ("理科类",), "冯雪"),
    DemoSociety("辽宁省地质学会", "地质学会", "LNGEOS", ("理科类",), "陈志刚"),
    DemoSociety("辽宁省海洋湖沼学会", "海洋湖沼学会", "LNOLS", ("理科类",), "褚丽娜"),
    DemoSociety("辽宁省植物学会", "植物学会", "LNBOT", ("理科类",), "卫红"),
    DemoSociety("辽宁省计算机学会", "计算机学会", "LNCS", ("工科类",), "王丽"),
    DemoSociety("辽宁省机械工程学会", "机械工程学会", "LNMES", ("工科类",), "蒋文博"),
    DemoSociety("辽宁省电机工程学会", "电机工程学会", "LNSEE", ("工科类",), "沈立新"),
    DemoSociety("辽宁省金属学会", "金属学会", "LNCSM", ("工科类",), "韩冬梅"),
    DemoSociety("辽宁省土木建筑学会", "土木建筑学会", "LNCEAS", ("工科类",), "杨帆"),
    DemoSociety("辽宁省化工学会", "化工学会", "LNCIESC", ("工科类",), "朱宏伟"),
    DemoSociety("辽宁省汽车工程学会", "汽车工程学会", "LNSAE", ("工科类",), "秦磊"),
    DemoSociety("辽宁省自动化学会", "自动化学会", "LNAA", ("工科类",), "尤佳"),
    DemoSociety("辽宁省电子学会", "电子学会", "LNCIE", ("工科类",), "许晨"),
    DemoSociety("辽宁省通信学会", "通信学会", "LNCIC", ("工科类",), "何静"),
    DemoSociety("辽宁省水利学会", "水利学会", "LNHES", ("工科类",), "吕刚"),
    DemoSociety("辽宁省农学会", "农学会", "LNAGRI", ("农科类",), "施玉兰"),
    DemoSociety("辽宁省林学会", "林学会", "LNFOR", ("农科类",), "张秀英"),
    DemoSociety("辽宁省畜牧兽医学会", "畜牧兽医学会", "LNAHVM", ("农科类",), "孔德胜"),
    DemoSociety("辽宁省水产学会", "水产学会", "LNFISH", ("农科类",), "曹丹"),
    DemoSociety("辽宁省园艺学会", "园艺学会", "LNHORT", ("农科类",), "严春华"),
    DemoSociety("辽宁省植物保护学会", "植物保护学会", "LNPPS", ("农科类",), "华振宇"),
    DemoSociety("辽宁省医学会", "医学会", "LNMA", ("医药卫生类",), "刘洋"),
    DemoSociety("辽宁省药学会", "药学会", "LNPA", ("医药卫生类",), "金淑芬"),
    DemoSociety("辽宁省中医药学会", "中医药学会", "LNTCM", ("医药卫生类",), "魏国庆"),
    DemoSociety("辽宁省护理学会", "护理学会", "LNNA", ("医药卫生类",), "陶敏"),
    DemoSociety("辽宁省预防医学会", "预防医学会", "LNPMA", ("医药卫生类",), "姜宁"),
    DemoSociety(
        "辽宁省生物医学工程学会",
        "生物医学工程学会",
        "LNBME",
        ("交叉学科类", "医药卫生类"),
        "戚永强",
    ),
    DemoSociety("辽宁省环境科学学会", "环境科学学会", "LNSES", ("交叉学科类", "理科类"), "谢婷"),
    DemoSociety("辽宁省科普作家协会", "科普作家协会", "LNSPWA", ("交叉学科类",), "邹文华"),
    DemoSociety("辽宁省系统工程学会", "系统工程学会", "LNSESC", ("交叉学科类",), "喻平"),
)

# (society, name, kind): branches (专业委员会/分会) and member units under a few societies.
SUBORDINATES = (
    ("辽宁省计算机学会", "辽宁省计算机学会人工智能专业委员会", OrganisationKind.BRANCH),
    ("辽宁省计算机学会", "辽宁省计算机学会网络与信息安全专业委员会", OrganisationKind.BRANCH),
    ("辽宁省计算机学会", "辽宁省计算机学会大数据专业委员会", OrganisationKind.BRANCH),
    ("辽宁省计算机学会", "辽宁科技大学计算机与软件工程学院", OrganisationKind.MEMBER_UNIT),
    ("辽宁省计算机学会", "东北大学计算机科学与工程学院", OrganisationKind.MEMBER_UNIT),
    ("辽宁省医学会", "辽宁省医学会心血管病学分会", OrganisationKind.BRANCH),
    ("辽宁省医学会", "辽宁省医学会呼吸病学分会", OrganisationKind.BRANCH),
    ("辽宁省中医药学会", "辽宁省中医药学会针灸分会", OrganisationKind.BRANCH),
    ("辽宁省机械工程学会", "辽宁省机械工程学会铸造分会", OrganisationKind.BRANCH),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    display_name: str
    role: Role
    organisation: str
    title: str


LOGINS = (
    DemoLogin("admin", "demo-admin-2026", "系统管理员", Role.ADMIN, ASSOCIATION, "信息中心"),
    DemoLogin("staff", "demo-staff-2026", "李明", Role.STAFF, ASSOCIATION, "学会部"),
    DemoLogin(
        "secretary", "demo-secretary-2026", "王丽", Role.SECRETARY, "辽宁省计算机学会", "学会秘书"
    ),
    DemoLogin("member", "demo-member-2026", "张伟", Role.MEMBER, "辽宁省计算机学会", "会员"),
    DemoLogin(
        "secretary-med",
        "demo-secretary-med-2026",
        "刘洋",
        Role.SECRETARY,
        "辽宁省医学会",
        "学会秘书",
    ),
)


def login_for(role: Role | str) -> tuple[str, str]:
    """The username and password of the first demo person holding `role`
    (for secretaries: the one of 辽宁省计算机学会)."""
    login = next(login for login in LOGINS if login.role == Role(role))
    return login.username, login.password


def phone_number(index: int) -> str:
    """A Shenyang office number (024 and eight digits), different for each index."""
    return f"024-{23861000 + index * 1379}"


async def has_organisations() -> bool:
    return await Organisation.exists()


async def load(settings: Settings) -> bool:
    """Load the demo data into an empty database. False if the database already has
    organisations: then nothing is done, except that a database the demo loaded earlier
    gets whatever demo notices it lacks."""
    if await has_organisations():
        if await is_demo_database():
            await load_notices(settings)
            async with in_transaction():
                await _area_demos(settings)
        return False
    # Hashing is the slow part: do it before the transaction, once per person, in parallel.
    hashes = await asyncio.gather(
        *(asyncio.to_thread(hash_password, settings, login.password) for login in LOGINS)
    )
    async with in_transaction():
        organisations = await _organisations()
        await _people(organisations, hashes)
        await audit.record(None, "demo.load")
        await _notices(settings)
        await _area_demos(settings)
    return True


async def _area_demos(settings: Settings) -> None:
    """Each area's demo data (Area.load_demo, intranet.areas), organisations by name."""
    organisations = {o.name: o for o in await Organisation.all()}
    for area in load_areas():
        if area.load_demo is not None:
            await area.load_demo(settings, organisations)


async def _organisations() -> dict[str, Organisation]:
    categories = {
        name: await Category.create(name=name, sort_order=order)
        for order, name in enumerate(CATEGORIES, start=1)
    }
    association = await Organisation.create_under(
        None,
        name=ASSOCIATION,
        short_name="省科协",
        kind=OrganisationKind.ASSOCIATION,
        code="LNAST",
        contact_name="办公室",
        contact_phone="024-23860000",
        contact_email="office@lnast.example.org",
    )
    by_name = {ASSOCIATION: association}
    for name in DEPARTMENTS:
        by_name[name] = await Organisation.create_under(
            association, name=name, kind=OrganisationKind.DEPARTMENT
        )
    for index, society in enumerate(SOCIETIES, start=1):
        organisation = await Organisation.create_under(
            association,
            name=society.name,
            short_name=society.short_name,
            kind=OrganisationKind.SOCIETY,
            code=society.code,
            contact_name=society.contact_name,
            contact_phone=phone_number(index),
            contact_email=f"{society.code.lower()}@example.org",
        )
        await organisation.categories.add(*(categories[name] for name in society.categories))
        by_name[society.name] = organisation
    for parent, name, kind in SUBORDINATES:
        by_name[name] = await Organisation.create_under(by_name[parent], name=name, kind=kind)
    return by_name


async def _people(organisations: dict[str, Organisation], hashes: list[str]) -> None:
    now = timezone.now()
    for login, password_hash in zip(LOGINS, hashes, strict=True):
        user = await User.create(
            username=login.username,
            display_name=login.display_name,
            title=login.title,
            email=f"{login.username}@example.org",
            password_hash=password_hash,
            password_changed_at=now,
        )
        await Membership.create(
            user=user, organisation=organisations[login.organisation], role=login.role
        )


async def present_logins() -> list[DemoLogin]:
    """The demo logins whose accounts are in the database."""
    usernames = set(
        await User.filter(username__in=[login.username for login in LOGINS]).values_list(
            "username", flat=True
        )
    )
    return [login for login in LOGINS if login.username in usernames]


def format_logins(logins: list[DemoLogin], url: str) -> str:
    lines = [f"Sign in at {url} as one of (demo passwords, never use them for real data):"]
    lines.append(f"  {'username':<15}{'password':<26}{'role':<11}organisation")
    for login in logins:
        lines.append(
            f"  {login.username:<15}{login.password:<26}{login.role.value:<11}{login.organisation}"
        )
    return "\n".join(lines)


# -- notices ----------------------------------------------------------------------------------

COMPUTER_SOCIETY = "辽宁省计算机学会"
UNIVERSITY = "辽宁科技大学"
UNIVERSITY_DEPARTMENT = "中共辽宁科技大学委员会组织部"
# The Party branches 科大组织部〔2020〕6号 is addressed to (各分党委、党总支、直属党支部).
UNIVERSITY_BRANCHES = (
    "材料与冶金学院分党委",
    "化学工程学院分党委",
    "计算机与软件工程学院分党委",
    "电子与信息工程学院分党委",
    "机械工程与自动化学院分党委",
    "经济与管理学院分党委",
    "机关党总支",
    "图书馆直属党支部",
)
FORWARDING_FIXTURE = "lncs-2020-001-forwarding-lnast-2020-3.txt"
UNIVERSITY_FIXTURE = "ustl-orgdept-2020-6.txt"
# The forwarding notice and the university's lost their date lines in the copy from PDF.
FORWARDED_ON = datetime.date(2020, 1, 31)
UNIVERSITY_ISSUED_ON = datetime.date(2020, 2, 20)

Addressee = tuple[AddresseeTarget, str | None]  # the organisation's or category's name


@dataclass(frozen=True)
class DemoNotice:
    """One of the association's short notices, numbered from its prefix at publication."""

    title: str
    body: str
    to: tuple[Addressee, ...]
    addressee_line: str
    days_ago: int
    state: NoticeState = NoticeState.PUBLISHED
    category: NoticeCategory = NoticeCategory.NOTICE
    pinned: bool = False
    is_public: bool = False
    withdrawn_reason: str = ""
    attachment: tuple[str, str] | None = None  # file name, text


SHORT_NOTICES = (
    DemoNotice(
        "关于按周报送学会工作进展情况的通知",
        "各省级学会：\n\n请各学会于每周五下班前，在“汇报”系统中填报本周工作进展情况，"
        "包括线上活动、专家储备、科普作品和建言献策等。\n\n"
        "填报中遇到问题，请联系省科协学会部。",
        ((AddresseeTarget.ALL_SOCIETIES, None),),
        "各省级学会（协会、研究会）",
        days_ago=6,
        pinned=True,
    ),
    DemoNotice(
        "关于举办全省科技工作者日主题活动的公告",
        "为弘扬科学家精神，省科协将于5月30日前后举办全省科技工作者日主题活动，"
        "欢迎广大科技工作者和社会公众参加。\n\n活动安排将在本网站另行公布。",
        ((AddresseeTarget.ALL_SOCIETIES, None),),
        "各省级学会（协会、研究会）",
        days_ago=4,
        category=NoticeCategory.ANNOUNCEMENT,
        is_public=True,
    ),
    DemoNotice(
        "关于组织医药卫生类学会开展健康科普宣传的通知",
        "各医药卫生类学会：\n\n请围绕疫情防控、营养健康和心理卫生，组织专家撰写科普文章，"
        "并于本月底前报送省科协科学普及部。\n\n选题参考见附件。",
        ((AddresseeTarget.CATEGORY, "医药卫生类"),),
        "各医药卫生类学会",
        days_ago=2,
        attachment=(
            "健康科普宣传选题参考.txt",
            "健康科普宣传选题参考\n\n1. 科学佩戴口罩\n2. 居家营养与运动\n"
            "3. 疫情期间的心理调适\n4. 老年人慢性病管理\n",
        ),
    ),
    DemoNotice(
        "关于召开学会秘书长工作会议的通知",
        "各省级学会：\n\n定于下周三上午9时在省科技馆召开学会秘书长工作会议，请各学会秘书长参加。",
        ((AddresseeTarget.ALL_SOCIETIES, None),),
        "各省级学会（协会、研究会）",
        days_ago=3,
        state=NoticeState.WITHDRAWN,
        withdrawn_reason="会议改期，另行通知。",
    ),
    DemoNotice(
        "关于推荐第三届全省优秀科技工作者的通知",
        "各省级学会：\n\n请按照推荐条件，择优推荐本学会优秀科技工作者候选人1至2名。",
        ((AddresseeTarget.ALL_SOCIETIES, None),),
        "各省级学会（协会、研究会）",
        days_ago=0,
        state=NoticeState.DRAFT,
    ),
)


@dataclass
class DemoWorld:
    """What the notices need from the organisations and people already loaded."""

    association: Organisation
    organisations: dict[str, Organisation]
    categories: dict[str, Category]
    people: dict[str, User]
    today: datetime.date
    zone: datetime.tzinfo
    notices: dict[str, Notice] = field(default_factory=dict)  # by title

    def person(self, username: str) -> User | None:
        return self.people.get(username)


async def is_demo_database() -> bool:
    """Whether this database is the demo's: it says so in its audit log."""
    return await AuditEvent.exists(action="demo.load")


async def load_notices(settings: Settings) -> None:
    """Add whatever demo notices are missing, in one transaction."""
    async with in_transaction():
        await _notices(settings)


def fixture_text(name: str) -> str:
    """A notice copied out of a PDF, shipped with the package."""
    return resources.files("intranet").joinpath("demo_data", "notices", name).read_text("utf-8")


_SECTION_HEADING = re.compile(r"^[一二三四五六七八九十]{1,3}、")
_LIST_MARKER = re.compile(r"^(\d{1,2})\.(\s)")


def markdown_of(paragraphs: list[str]) -> str:
    """Pasted paragraphs as Markdown: 一、 headings in bold; 1. kept as typed, not a list."""
    lines = []
    for paragraph in paragraphs:
        if _SECTION_HEADING.match(paragraph):
            lines.append(f"**{paragraph}**")
        else:
            lines.append(_LIST_MARKER.sub(r"\1\\.\2", paragraph))
    return "\n\n".join(lines)


async def _notices(settings: Settings) -> None:
    association = await Organisation.get_or_none(name=ASSOCIATION, parent_id=None)
    if association is None:
        return
    now = timezone.now()
    world = DemoWorld(
        association=association,
        organisations={o.name: o for o in await Organisation.all()},
        categories={c.name: c for c in await Category.all()},
        people={
            u.username: u for u in await User.filter(username__in=[x.username for x in LOGINS])
        },
        today=now.astimezone(settings.zone).date(),
        zone=settings.zone,
    )
    await _prefix(association, "辽科协发")
    society = world.organisations.get(COMPUTER_SOCIETY)
    if society is not None:
        await _prefix(society, "辽计会字")
    await _university(world)
    storage = LocalStorage.for_settings(settings)
    await _fixture_notices(world, storage)
    for spec in SHORT_NOTICES:
        await _short_notice(world, spec, storage, settings)
    await _receipts(world)


async def _prefix(organisation: Organisation, text: str) -> DocumentPrefix:
    prefix, _ = await DocumentPrefix.get_or_create(
        organisation=organisation, text=text, defaults={"is_default": True}
    )
    return prefix


async def _university(world: DemoWorld) -> None:
    """A university as a member unit of the association, with its organisation department
    (the issuer of 科大组织部〔2020〕6号) and, under it, the Party branches it is addressed to."""
    university = world.organisations.get(UNIVERSITY)
    if university is None:
        university = await Organisation.create_under(
            world.association,
            name=UNIVERSITY,
            short_name="辽科大",
            kind=OrganisationKind.MEMBER_UNIT,
        )
        world.organisations[UNIVERSITY] = university
    if UNIVERSITY_DEPARTMENT not in world.organisations:
        world.organisations[UNIVERSITY_DEPARTMENT] = await Organisation.create_under(
            university,
            name=UNIVERSITY_DEPARTMENT,
            short_name="科大组织部",
            kind=OrganisationKind.DEPARTMENT,
        )
    # The Party branches sit under the organisation department that directs them, so its
    # notice to them stays inside its own subtree, as every notice must.
    for name in UNIVERSITY_BRANCHES:
        if name not in world.organisations:
            world.organisations[name] = await Organisation.create_under(
                world.organisations[UNIVERSITY_DEPARTMENT], name=name, kind=OrganisationKind.BRANCH
            )


async def _existing(issuer: Organisation, title: str) -> Notice | None:
    return await Notice.filter(issuer=issuer, title=title).first()


async def _address(notice: Notice, world: DemoWorld, to: tuple[Addressee, ...]) -> None:
    for target, name in to:
        organisation = world.organisations.get(name) if name else None
        category = world.categories.get(name) if name else None
        await NoticeAddressee.create(
            notice=notice,
            role=AddresseeRole.TO,
            target=target,
            organisation=organisation if target != AddresseeTarget.CATEGORY else None,
            category=category if target == AddresseeTarget.CATEGORY else None,
        )


async def _publish(notice: Notice, author: User | None, published_at: datetime.datetime) -> None:
    await workflow.publish(notice, author)
    # Published when it was issued, so the list reads in the order things happened.
    notice.published_at = published_at
    await Notice.filter(id=notice.id).update(published_at=published_at)


def _morning_of(day: datetime.date, zone: datetime.tzinfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=zone)


async def _pasted_notice(
    world: DemoWorld,
    issuer: Organisation,
    pasted: PastedNotice,
    *,
    author: User | None,
    to: tuple[Addressee, ...],
    issued_on: datetime.date,
) -> Notice:
    """A notice with the fields read from pasted text, its number kept as typed."""
    found = await _existing(issuer, pasted.title or "")
    if found is not None:
        return found
    notice = Notice(
        issuer=issuer,
        author=author,
        title=pasted.title or "",
        addressee_line="、".join(pasted.addressees),
        cc_line="、".join(pasted.cc),
        signature=pasted.signature or issuer.name,
        issued_on=pasted.date or issued_on,
    )
    workflow.set_body(notice, markdown_of(pasted.paragraphs), BodyFormat.MARKDOWN)
    if pasted.number is not None:
        await workflow.set_typed_number(notice, pasted.number.text)
    await notice.save()
    await _address(notice, world, to)
    await _publish(notice, author, _morning_of(notice.issued_on or issued_on, world.zone))
    return notice


async def _fixture_notices(world: DemoWorld, storage: LocalStorage) -> None:
    forwarding = parse_notice(fixture_text(FORWARDING_FIXTURE))
    original = forwarding.forwarded
    assert original is not None, "the forwarding fixture no longer parses"
    world.notices["original"] = await _pasted_notice(
        world,
        world.association,
        original,
        author=world.person("staff"),
        to=((AddresseeTarget.ALL_SOCIETIES, None),),
        issued_on=datetime.date(2020, 1, 30),
    )
    society = world.organisations.get(COMPUTER_SOCIETY)
    if society is not None:
        world.notices["forwarding"] = await _forwarding(
            world, society, forwarding, world.notices["original"], storage
        )
    department = world.organisations[UNIVERSITY_DEPARTMENT]
    world.notices["university"] = await _pasted_notice(
        world,
        department,
        parse_notice(fixture_text(UNIVERSITY_FIXTURE)),
        author=None,
        to=((AddresseeTarget.MEMBERS_OF, UNIVERSITY_DEPARTMENT),),
        issued_on=UNIVERSITY_ISSUED_ON,
    )


async def _forwarding(
    world: DemoWorld,
    society: Organisation,
    pasted: PastedNotice,
    original: Notice,
    storage: LocalStorage,
) -> Notice:
    """The society's own notice forwarding the association's, to all its members."""
    found = await _existing(society, pasted.title or "")
    if found is not None:
        return found
    secretary = world.person("secretary")
    notice = await workflow.forward(original, society, secretary, storage)
    notice.title = pasted.title or notice.title
    notice.addressee_line = "、".join(pasted.addressees)
    notice.issued_on = pasted.date or FORWARDED_ON
    workflow.set_body(notice, markdown_of(pasted.paragraphs), BodyFormat.MARKDOWN)
    if pasted.number is not None:
        await workflow.set_typed_number(notice, pasted.number.text)
    await notice.save()
    await _address(notice, world, ((AddresseeTarget.MEMBERS_OF, COMPUTER_SOCIETY),))
    await _publish(notice, secretary, _morning_of(notice.issued_on, world.zone))
    return notice


async def _short_notice(
    world: DemoWorld, spec: DemoNotice, storage: LocalStorage, settings: Settings
) -> None:
    found = await _existing(world.association, spec.title)
    if found is not None:
        world.notices[spec.title] = found
        return
    staff = world.person("staff")
    day = world.today - datetime.timedelta(days=spec.days_ago)
    notice = Notice(
        issuer=world.association,
        author=staff,
        prefix=await DocumentPrefix.get(organisation=world.association, text="辽科协发"),
        title=spec.title,
        addressee_line=spec.addressee_line,
        signature=world.association.name,
        issued_on=day,
        category=spec.category,
        pinned=spec.pinned,
        is_public=spec.is_public,
    )
    workflow.set_body(notice, spec.body, BodyFormat.MARKDOWN)
    await notice.save()
    await _address(notice, world, spec.to)
    if spec.attachment is not None:
        await _attach(notice, *spec.attachment, storage=storage, settings=settings, by=staff)
    if spec.state != NoticeState.DRAFT:
        # On the day, or an hour ago for today's: never in the future.
        when = min(_morning_of(day, world.zone), timezone.now() - datetime.timedelta(hours=1))
        await _publish(notice, staff, when)
    if spec.state == NoticeState.WITHDRAWN:
        await workflow.withdraw(notice, staff, spec.withdrawn_reason)
    world.notices[spec.title] = notice


async def _attach(
    notice: Notice,
    filename: str,
    text: str,
    *,
    storage: LocalStorage,
    settings: Settings,
    by: User | None,
) -> None:
    data = text.encode("utf-8")
    kind = check_attachment_file(filename, data)
    stored = await storage.save(data, max_bytes=settings.max_upload_bytes)
    await NoticeAttachment.create(
        notice=notice,
        storage_key=stored.key,
        filename=filename,
        kind=kind.value,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=by,
    )


# Who has read what (by notice key or title), and who was reminded by whom.
READS = (
    ("original", "secretary"),
    ("forwarding", "secretary"),
    ("关于按周报送学会工作进展情况的通知", "secretary"),
    ("关于按周报送学会工作进展情况的通知", "secretary-med"),
    ("关于举办全省科技工作者日主题活动的公告", "secretary-med"),
)
REMINDERS = (("original", "secretary-med", "staff"),)


async def _receipts(world: DemoWorld) -> None:
    """Read receipts partly filled: the computer society's secretary has read the
    association's notice, the medical society's has not and was reminded; the member
    has not yet opened the society's forwarding."""
    for key, username in READS:
        notice, person = world.notices.get(key), world.person(username)
        if notice is not None and person is not None:
            await audience.mark_read(notice, person)
    for key, username, sender in REMINDERS:
        notice, person = world.notices.get(key), world.person(username)
        if notice is None or person is None:
            continue
        if not await NoticeReminder.exists(notice=notice, user=person):
            await NoticeReminder.create(notice=notice, user=person, sent_by=world.person(sender))
