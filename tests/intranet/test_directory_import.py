"""Importing the directory workbook: preview, errors where a person finds them, one
transaction, idempotence, the admin's reach, and a constant number of statements."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest

from intranet.directory.apply import Refused
from intranet.directory.export import export_directory
from intranet.directory.models import Invitation
from intranet.directory.plan import scope_for
from intranet.directory.workbook import read_csv
from intranet.models import AuditEvent, Membership, Organisation, Role, User
from intranet.notifications.models import EmailMessage
from tests.conftest import World
from tests.directory_helpers import apply, org_row, person_row, preview, read_bytes, xlsx_bytes


async def snapshot() -> tuple[Any, ...]:
    organisations = (
        await Organisation.all()
        .order_by("id")
        .values_list("id", "name", "path", "code", "contact_phone")
    )
    people = await User.all().order_by("id").values_list("id", "username", "email", "is_active")
    roles = await Membership.all().order_by("id").values_list("user_id", "organisation_id", "role")
    return organisations, people, roles


def where(plan: Any) -> set[tuple[str, int, str]]:
    return {(p.sheet, p.row, p.column) for p in plan.problems}


async def exported(tmp_path: Path, scope: Any = None) -> Any:
    buffer = io.BytesIO()
    if scope is None:
        await export_directory(buffer)
    else:
        await export_directory(buffer, scope)
    return read_bytes(tmp_path, buffer.getvalue(), "export.xlsx")


async def test_a_new_society_with_people_is_previewed_then_written(
    world: World, tmp_path: Path
) -> None:
    data = xlsx_bytes(
        [
            org_row(
                "辽宁省物理学会", "LNAST", code="LNPS", categories="医药卫生类", phone="024-1234567"
            ),
            org_row("辽宁省物理学会光学专委会", "LNPS", kind="分会/专业委员会"),
        ],
        [
            person_row(
                "李四", "Li.Si", "LNPS", "秘书", email="lisi@example.org", phone="13900000000"
            ),
            person_row("李四", "li.si", "辽宁省物理学会光学专委会", "会员"),
            person_row("王五", "wangwu", "LNPS", "工作人员"),
        ],
    )
    directory = read_bytes(tmp_path, data)
    before = await snapshot()
    plan = await preview(directory)
    assert plan.ok, plan.problems
    assert [e.label for e in plan.new_organisations] == [
        "辽宁省物理学会",
        "辽宁省物理学会光学专委会",
    ]
    assert [e.label for e in plan.new_people] == ["李四", "王五"]
    assert await snapshot() == before  # the preview writes nothing
    outcome = await apply(directory)
    society = await Organisation.get(code="LNPS").prefetch_related("categories")
    assert society.path.startswith(world.association.path) and society.depth == 1
    assert [c.name for c in society.categories] == ["医药卫生类"]
    branch = await Organisation.get(name="辽宁省物理学会光学专委会")
    assert branch.path == society.path + f"{branch.id:07d}/" and branch.kind == "branch"
    li = await User.get(username="li.si")
    assert li.password_hash == "" and li.phone == "13900000000"
    roles = {(m.organisation_id, m.role) for m in await Membership.filter(user=li)}
    assert roles == {(society.id, Role.SECRETARY), (branch.id, Role.MEMBER)}
    # 李四 has an address: an invitation by e-mail; 王五 has none: a code to hand out.
    assert await Invitation.filter(user=li, channel="email").count() == 1
    mail = await EmailMessage.get(user=li)
    assert "/invitation/" in mail.text_body
    wang = await User.get(username="wangwu")
    assert outcome.need_codes == [wang.id]
    assert await AuditEvent.filter(action="directory.import").count() == 1
    assert await AuditEvent.filter(action="organisation.create").count() == 2
    assert await AuditEvent.filter(action="person.create").count() == 2


async def test_reimporting_the_same_file_changes_nothing(world: World, tmp_path: Path) -> None:
    data = xlsx_bytes(
        [org_row("辽宁省物理学会", "LNAST", code="LNPS")],
        [person_row("李四", "lisi", "LNPS", "秘书")],
    )
    await apply(read_bytes(tmp_path, data))
    before = await snapshot()
    events = await AuditEvent.all().count()
    plan = await preview(read_bytes(tmp_path, data))
    assert not plan.has_changes
    assert (plan.unchanged_organisations, plan.unchanged_people) == (1, 1)
    await apply(read_bytes(tmp_path, data))
    assert await snapshot() == before
    assert await AuditEvent.all().count() == events + 1  # only the import itself


async def test_export_then_import_changes_nothing(world: World, tmp_path: Path) -> None:
    directory = await exported(tmp_path)
    assert len(directory.organisations) == 4
    plan = await preview(directory)
    assert plan.ok, plan.problems
    assert not plan.has_changes
    assert plan.unchanged_organisations == 4
    assert plan.unchanged_people == 6


async def test_export_then_import_of_the_demo_data_changes_nothing(
    app: Any, settings: Any, tmp_path: Path
) -> None:
    from intranet import demo

    await demo.load(settings)
    before = await snapshot()
    directory = await exported(tmp_path)
    plan = await preview(directory)
    assert plan.ok, plan.problems[:5]
    assert not plan.has_changes
    await apply(directory)
    assert await snapshot() == before


async def test_changes_are_shown_old_to_new_and_written(world: World, tmp_path: Path) -> None:
    data = xlsx_bytes(
        [
            org_row(
                "辽宁省计算机学会",
                "LNAST",
                code="LNCCF",
                short="计算机学会",
                contact="王秘书",
                phone="024-87654321",
            )
        ],
        [person_row("计算机学会秘书", "sec_a", "LNCCF", "工作人员", email="sec@example.org")],
    )
    plan = await preview(read_bytes(tmp_path, data))
    assert plan.ok, plan.problems
    [org] = plan.changed_organisations
    assert [(c.field, c.old, c.new) for c in org.changes] == [
        ("联系电话", "024-23456789", "024-87654321")
    ]
    [person] = plan.changed_people
    assert {(c.field, c.old, c.new) for c in person.changes} == {
        ("电子邮箱", "", "sec@example.org"),
        ("角色", "辽宁省计算机学会·秘书", ""),
        ("角色", "", "辽宁省计算机学会·工作人员"),
    }
    await apply(read_bytes(tmp_path, data))
    assert (await Organisation.get(code="LNCCF")).contact_phone == "024-87654321"
    assert [m.role for m in await Membership.filter(user=world.secretary_a)] == [Role.STAFF]


async def test_moving_a_society_moves_its_branches(world: World, tmp_path: Path) -> None:
    data = xlsx_bytes(
        [
            org_row(
                "辽宁省计算机学会",
                "LNMA",
                code="LNCCF",
                short="计算机学会",
                contact="王秘书",
                phone="024-23456789",
            )
        ]
    )
    await apply(read_bytes(tmp_path, data))
    branch = await Organisation.get(id=world.branch_a.id)
    assert branch.path == f"{world.society_b.path}{world.society_a.id:07d}/{branch.id:07d}/"
    assert branch.depth == 3


ERROR_CASES = [
    # (organisation rows, people rows, where the problem is reported)
    ([org_row("新学会", "没有这个组织")], [], ("组织机构", 2, "上级组织")),
    (
        [org_row("甲学会", "B1", code="A1"), org_row("乙学会", "A1", code="B1")],
        [],
        ("组织机构", 2, "上级组织"),
    ),
    (
        [org_row("甲学会", "LNAST", code="X1"), org_row("乙学会", "LNAST", code="X1")],
        [],
        ("组织机构", 3, "代码"),
    ),
    ([org_row("甲学会", "LNAST", categories="不存在的类别")], [], ("组织机构", 2, "类别")),
    ([org_row("甲学会", "LNAST", kind="协会?")], [], ("组织机构", 2, "类型")),
    ([org_row("甲学会", "LNAST", email="not-an-address")], [], ("组织机构", 2, "电子邮箱")),
    ([org_row("甲学会", "LNAST", phone="call me")], [], ("组织机构", 2, "联系电话")),
    ([org_row("学" * 101, "LNAST")], [], ("组织机构", 2, "名称")),
    (
        [],
        [person_row("张三", "zs", "LNCCF", "会员"), person_row("李四", "zs", "LNCCF", "会员")],
        ("人员", 3, "用户名"),
    ),
    ([org_row("辽宁省医学会", "LNAST", code="LNMA2")], [], ("组织机构", 2, "代码")),
    ([], [person_row("张三", "zs", "LNCCF", "理事长")], ("人员", 2, "角色")),
    ([], [person_row("张三", "zs", "LNCCF", "会员", email="zs@")], ("人员", 2, "电子邮箱")),
    ([], [person_row("张三", "zs", "LNCCF", "会员", phone="12")], ("人员", 2, "手机")),
    ([], [person_row("张三", "z s", "LNCCF", "会员")], ("人员", 2, "用户名")),
    ([], [person_row("张三", "zs", "不存在", "会员")], ("人员", 2, "所属组织")),
    ([], [person_row("管理员", "admin", "LNAST", "工作人员")], ("人员", 2, "角色")),
]


@pytest.mark.parametrize(("organisations", "people", "expected"), ERROR_CASES)
async def test_every_error_names_sheet_row_and_column_and_nothing_is_written(
    world: World, tmp_path: Path, organisations: Any, people: Any, expected: Any
) -> None:
    good_org = org_row("辽宁省物理学会", "LNAST", code="LNPS")
    data = xlsx_bytes([good_org, *organisations], people)
    # The good row first: the bad rows are numbered from row 3 on the organisation sheet.
    if expected[0] == "组织机构":
        expected = (expected[0], expected[1] + 1, expected[2])
    directory = read_bytes(tmp_path, data)
    plan = await preview(directory)
    assert expected in where(plan), plan.problems
    before = await snapshot()
    with pytest.raises(Refused):
        await apply(directory)
    assert await snapshot() == before


async def test_a_gb18030_csv_from_chinese_excel_is_read(world: World) -> None:
    text = "名称,简称,上级组织,类型,代码\r\n辽宁省物理学会,物理学会,LNAST,学会,LNPS\r\n"
    directory = read_csv(text.encode("gb18030"))
    plan = await preview(directory)
    assert plan.ok, plan.problems
    assert [e.label for e in plan.new_organisations] == ["辽宁省物理学会"]
    with_bom = read_csv(
        b"\xef\xbb\xbf" + "姓名,用户名,所属组织,角色\n张三,zs,LNCCF,会员\n".encode()
    )
    plan = await preview(with_bom)
    assert plan.ok and [e.label for e in plan.new_people] == ["张三"]


async def test_a_csv_without_known_headers_is_refused(world: World) -> None:
    plan = await preview(read_csv(b"a,b\n1,2\n"))
    assert where(plan) == {("", 1, "")}


async def test_a_society_admin_cannot_touch_another_society(
    world: World, admin_a: User, tmp_path: Path
) -> None:
    held = await Membership.filter(user=admin_a).select_related("organisation")
    scope = scope_for(held, admin_a.id)
    data = xlsx_bytes(
        [
            org_row("辽宁省医学会", "LNAST", code="LNMA", short="改名"),
            org_row("新分会", "LNMA", kind="分会/专业委员会"),
            org_row("新学会", "LNAST"),
        ],
        [
            person_row("医学会秘书", "sec_b", "LNMA", "会员"),
            person_row("新人", "xr", "LNMA", "会员"),
        ],
    )
    plan = await preview(read_bytes(tmp_path, data), scope)
    assert {
        ("组织机构", 2, "名称"),
        ("组织机构", 3, "上级组织"),
        ("组织机构", 4, "上级组织"),
        ("人员", 2, "所属组织"),
        ("人员", 3, "所属组织"),
    } <= where(plan)
    # Their own export goes back in unchanged.
    directory = await exported(tmp_path, scope)
    assert {row["名称"] for row in directory.organisations} == {
        "辽宁省计算机学会",
        "辽宁省计算机学会人工智能专业委员会",
    }
    plan = await preview(directory, scope)
    assert plan.ok and not plan.has_changes, plan.problems


async def test_deactivating_absent_people_is_a_choice(world: World, tmp_path: Path) -> None:
    data = xlsx_bytes([], [person_row("管理员", "admin", "LNAST", "管理员")])
    directory = read_bytes(tmp_path, data)
    plan = await preview(directory)
    assert {p.username for p in plan.absent_people} == {"staff", "sec_a", "member_a", "sec_b"}
    await apply(directory)
    assert await User.filter(is_active=False).count() == 0
    await apply(directory, deactivate=True)
    assert set(await User.filter(is_active=False).values_list("username", flat=True)) == {
        "staff",
        "sec_a",
        "member_a",
        "sec_b",
    }


class StatementCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def count_statements(action: Any) -> int:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        await action()
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
    return counter.count


def big_file(size: int, variant: str) -> bytes:
    organisations = [
        org_row(f"学会{variant}{i}", "LNAST", code=f"S{variant}{i}") for i in range(size)
    ]
    people = [
        person_row(f"人{i}", f"p{variant}{i}", f"S{variant}{i}", "秘书", email=f"p{i}@example.org")
        for i in range(size)
    ]
    return xlsx_bytes(organisations, people)


async def test_preview_and_apply_cost_the_same_statements_for_50_and_500_rows(
    world: World, tmp_path: Path
) -> None:
    counts = []
    for size, variant in ((50, "a"), (500, "b")):
        directory = read_bytes(tmp_path, big_file(size, variant))
        previewing = await count_statements(lambda d=directory: preview(d))  # type: ignore[misc]
        applying = await count_statements(lambda d=directory: apply(d))  # type: ignore[misc]
        counts.append((previewing, applying))
    assert counts[0] == counts[1]
    assert counts[0][1] > 10  # every bulk statement was counted
    assert await Organisation.filter(code__startswith="Sb").count() == 500
