"""Demo data: a provincial association, its societies, and one person per role.

Loaded only into a database without organisations, in one transaction, so a failed
load leaves nothing behind and a second load finds the first and does nothing.
The demo passwords are fixed and printed: never load this into a real site.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tortoise import timezone
from tortoise.transactions import in_transaction

from intranet import audit
from intranet.models import Category, Membership, Organisation, OrganisationKind, Role, User
from intranet.security import hash_password
from intranet.settings import Settings

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
    """Load the demo data into an empty database. False, and nothing done, if the
    database already has organisations."""
    if await has_organisations():
        return False
    # Hashing is the slow part: do it before the transaction, once per person, in parallel.
    hashes = await asyncio.gather(
        *(asyncio.to_thread(hash_password, settings, login.password) for login in LOGINS)
    )
    async with in_transaction():
        organisations = await _organisations()
        await _people(organisations, hashes)
        await audit.record(None, "demo.load")
    return True


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
