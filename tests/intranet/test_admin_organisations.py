"""Admin pages for the organisation tree and its categories.

Personas: `admin` holds the admin role on the association (the root); `admin_a` holds it
on society A only, so society B and everything in it must stay invisible to them.
"""

from __future__ import annotations

import httpx
import pytest

from intranet.models import (
    AuditEvent,
    Category,
    Organisation,
    OrganisationKind,
    User,
)
from intranet.models.organisations import path_segment
from intranet.views import admin_organisations
from tests.conftest import World, post
from tests.helpers import soup

INDEX = "/admin/organisations"
NEW = "/admin/organisations/new"
CATEGORIES = "/admin/organisations/categories"


def edit_url(organisation: Organisation) -> str:
    return f"/admin/organisations/{organisation.id}/edit"


def move_url(organisation: Organisation) -> str:
    return f"/admin/organisations/{organisation.id}/move"


def category_url(category: Category) -> str:
    return f"{CATEGORIES}/{category.id}/edit"


def field_error(response: httpx.Response, name: str) -> str:
    error = soup(response).select_one(f"#error-{name}")
    return error.get_text(strip=True) if error else ""


def details(organisation: Organisation, **changes: object) -> dict:
    """The edit form as the page would submit it, with some fields changed."""
    form = {
        "name": organisation.name,
        "short_name": organisation.short_name,
        "kind": organisation.kind.value,
        "code": organisation.code or "",
        "contact_name": organisation.contact_name,
        "contact_phone": organisation.contact_phone,
        "contact_email": organisation.contact_email,
        "address": organisation.address,
        "is_active": "1" if organisation.is_active else "",
    }
    form.update(changes)
    return {name: value for name, value in form.items() if value is not None}


async def actions() -> list[str]:
    return await AuditEvent.all().values_list("action", flat=True)  # type: ignore[return-value]


# -- the tree -----------------------------------------------------------------------


async def test_it_lists_the_tree_in_path_order_indented_by_depth(
    world: World, as_english_user
) -> None:
    async with as_english_user("admin") as c:
        r = await c.get(INDEX)
    assert r.status_code == 200
    rows = soup(r).select("table.org-table tbody tr")
    names = [row.select_one("td.org-name a").get_text(strip=True) for row in rows]
    assert names == [
        world.association.name,
        world.society_a.name,
        world.branch_a.name,
        world.society_b.name,
    ]
    assert rows[2].select_one("td.org-name")["class"][0] == "depth-2"
    society_b = rows[3].get_text(" ", strip=True)
    assert "医药卫生类" in society_b and "LNMA" in society_b and "Society" in society_b


async def test_it_filters_by_text_and_by_category(world: World, as_english_user) -> None:
    async with as_english_user("admin") as c:
        by_code = await c.get(INDEX, params={"q": "lnccf"})
        by_category = await c.get(INDEX, params={"category": str(world.medicine.id)})

    def names(response: httpx.Response) -> list[str]:
        return [a.get_text(strip=True) for a in soup(response).select("td.org-name a")]

    assert names(by_code) == [world.society_a.name]
    assert names(by_category) == [world.society_b.name]


async def test_it_answers_htmx_with_the_rows_only(world: World, as_english_user) -> None:
    async with as_english_user("admin") as c:
        r = await c.get(INDEX, params={"q": "医学会"}, headers={"HX-Request": "true"})
    assert "<html" not in r.text
    assert [a.get_text(strip=True) for a in soup(r).select("td.org-name a")] == ["辽宁省医学会"]
    assert "HX-Request" in r.headers["vary"]


async def test_it_pages_a_long_tree(
    world: World, as_english_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_organisations, "PAGE_SIZE", 3)
    async with as_english_user("admin") as c:
        first = await c.get(INDEX)
        second = await c.get(INDEX, params={"page": "2"})
    assert len(soup(first).select("td.org-name")) == 3
    assert [a.get_text(strip=True) for a in soup(second).select("td.org-name a")] == [
        world.society_b.name
    ]
    assert soup(first).select_one(".pager a[rel=next]")


async def add_societies(world: World, count: int) -> None:
    for number in range(count):
        society = await Organisation.create_under(world.association, name=f"学会{number}")
        await society.categories.add(world.medicine)


async def test_it_loads_the_tree_in_a_fixed_number_of_queries(
    world: World, as_english_user, queries: list[str]
) -> None:
    async with as_english_user("admin") as c:
        await add_societies(world, 2)
        queries.clear()
        assert (await c.get(INDEX)).status_code == 200
        few = len(queries)
        await add_societies(world, 40)
        queries.clear()
        r = await c.get(INDEX)
        many = len(queries)
    assert len(soup(r).select("td.org-name")) == 46
    assert few and many == few


# -- create ---------------------------------------------------------------------------


async def test_it_creates_an_organisation_under_a_parent(world: World, as_english_user) -> None:
    science = await Category.create(name="理科类")
    form = details(
        Organisation(name="辽宁省物理学会", kind=OrganisationKind.SOCIETY, is_active=True),
        short_name="物理学会",
        code="LNPS",
        contact_email="office@lnps.example.org",
        parent=str(world.association.id),
        categories=[str(science.id), str(world.medicine.id)],
    )
    async with as_english_user("admin") as c:
        r = await post(c, NEW, form, token_from=NEW)
    assert r.status_code == 303
    created = await Organisation.get(code="LNPS")
    assert r.headers["location"] == f"{edit_url(created)}?saved=created"
    assert created.path == world.association.path + path_segment(created.id)
    assert created.depth == 1
    assert created.short_name == "物理学会"
    assert {c.name for c in await created.categories.all()} == {"理科类", "医药卫生类"}
    event = await AuditEvent.get(action="organisation.create")
    assert event.object_id == str(created.id)


async def test_it_offers_the_chosen_parent_on_the_create_page(
    world: World, as_english_user
) -> None:
    async with as_english_user("admin") as c:
        r = await c.get(NEW, params={"parent": str(world.society_a.id)})
    selected = soup(r).select_one("#field-parent option[selected]")
    assert selected["value"] == str(world.society_a.id)
    assert soup(r).select_one("#field-kind option[selected]")["value"] == "branch"


async def test_the_create_page_starts_under_the_admins_own_organisation(
    world: World, as_english_user
) -> None:
    async with as_english_user("admin") as c:
        r = await c.get(NEW)
    options = soup(r).select("#field-parent option")
    assert options[0]["value"] == ""  # the top level is offered to a root admin...
    selected = soup(r).select_one("#field-parent option[selected]")
    assert selected["value"] == str(world.association.id)  # ...but never chosen for them


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "学" * 101}, "name", "At most 100 characters"),
        ({"name": "  "}, "name", "This field is required"),
        ({"code": "lnccf"}, "code", "already uses this code"),
        ({"contact_email": "not-an-address"}, "contact_email", "e-mail address"),
        ({"short_name": "x" * 41}, "short_name", "At most 40 characters"),
        ({"kind": "empire"}, "kind", "Choose a kind"),
    ],
)
async def test_it_refuses_invalid_details_and_creates_nothing(
    world: World, as_english_user, change: dict, field: str, message: str
) -> None:
    form = {"parent": str(world.association.id), "name": "辽宁省化学会", "kind": "society"}
    form.update(change)
    before = await Organisation.all().count()
    async with as_english_user("admin") as c:
        r = await post(c, NEW, form, token_from=NEW)
    assert r.status_code == 400
    assert message in field_error(r, field)
    assert soup(r).select_one("#field-name")["value"] == form["name"].strip()
    assert await Organisation.all().count() == before
    assert "organisation.create" not in await actions()


async def test_it_creates_at_the_top_level_only_for_a_root_admin(
    world: World, as_english_user, admin_a: User
) -> None:
    form = {"parent": "", "name": "另一个科协", "kind": "association"}
    async with as_english_user("admin_a") as c:
        page = await c.get(NEW)
        refused = await post(c, NEW, form, token_from=NEW)
    assert not soup(page).select('#field-parent option[value=""]')
    assert refused.status_code == 400
    assert field_error(refused, "parent")
    assert not await Organisation.filter(name="另一个科协").exists()
    async with as_english_user("admin") as c:
        created = await post(c, NEW, form, token_from=NEW)
    assert created.status_code == 303
    top = await Organisation.get(name="另一个科协")
    assert (top.depth, top.parent_id) == (0, None)


# -- edit -----------------------------------------------------------------------------


async def test_it_saves_the_edited_details(world: World, as_english_user) -> None:
    form = details(
        world.society_a,
        name="辽宁省计算机学会（新）",
        code="LNCCF2",
        contact_phone="13800000000",
        is_active=None,
        categories=[str(world.medicine.id)],
    )
    async with as_english_user("admin") as c:
        r = await post(c, edit_url(world.society_a), form, token_from=edit_url(world.society_a))
        page = await c.get(r.headers["location"])
    assert r.status_code == 303
    saved = await Organisation.get(id=world.society_a.id)
    assert (saved.name, saved.code, saved.contact_phone) == (
        "辽宁省计算机学会（新）",
        "LNCCF2",
        "13800000000",
    )
    assert saved.is_active is False
    assert [c.id for c in await saved.categories.all()] == [world.medicine.id]
    assert soup(page).select_one("[role=status]")
    event = await AuditEvent.get(action="organisation.update")
    assert "LNCCF → LNCCF2" in event.summary
    assert "医药卫生类" in event.summary


async def test_it_keeps_everything_when_an_edit_is_invalid(world: World, as_english_user) -> None:
    await world.society_a.categories.add(world.medicine)
    form = details(world.society_a, name="新名字", code="LNMA", categories=[])
    async with as_english_user("admin") as c:
        r = await post(c, edit_url(world.society_a), form, token_from=edit_url(world.society_a))
    assert r.status_code == 400
    assert "already uses this code" in field_error(r, "code")
    assert soup(r).select_one("#field-name")["value"] == "新名字"
    unchanged = await Organisation.get(id=world.society_a.id)
    assert (unchanged.name, unchanged.code) == ("辽宁省计算机学会", "LNCCF")
    assert [c.id for c in await unchanged.categories.all()] == [world.medicine.id]
    assert await actions() == ["login"]


async def test_it_ignores_fields_the_form_does_not_offer(world: World, as_english_user) -> None:
    form = details(
        world.branch_a,
        name="人工智能专委会",
        parent=str(world.society_b.id),
        parent_id=str(world.society_b.id),
        path="/99/",
        depth="7",
        id="999",
    )
    async with as_english_user("admin") as c:
        r = await post(c, edit_url(world.branch_a), form, token_from=edit_url(world.branch_a))
    assert r.status_code == 303
    saved = await Organisation.get(id=world.branch_a.id)
    assert saved.name == "人工智能专委会"
    assert (saved.path, saved.depth, saved.parent_id) == (
        world.branch_a.path,
        2,
        world.society_a.id,
    )


# -- move -----------------------------------------------------------------------------


async def test_it_moves_a_branch_with_everything_below_it(world: World, as_english_user) -> None:
    group = await Organisation.create_under(world.branch_a, name="机器学习组")
    async with as_english_user("admin") as c:
        r = await post(
            c,
            move_url(world.branch_a),
            {"parent": str(world.society_b.id)},
            token_from=move_url(world.branch_a),
        )
    assert r.status_code == 303
    moved = await Organisation.get(id=world.branch_a.id)
    assert moved.parent_id == world.society_b.id
    assert moved.path == world.society_b.path + path_segment(moved.id)
    below = await Organisation.get(id=group.id)
    assert below.path == moved.path + path_segment(group.id) and below.depth == 3
    event = await AuditEvent.get(action="organisation.move")
    assert event.summary == f"{world.society_a.name} → {world.society_b.name}"


async def test_it_refuses_to_move_an_organisation_under_its_own_branch(
    world: World, as_english_user
) -> None:
    async with as_english_user("admin") as c:
        page = await c.get(move_url(world.society_a))
        r = await post(
            c,
            move_url(world.society_a),
            {"parent": str(world.branch_a.id)},
            token_from=move_url(world.society_a),
        )
    closed = soup(page).select_one(f'#field-parent option[value="{world.branch_a.id}"]')
    assert closed.has_attr("disabled")
    assert r.status_code == 400
    assert "cannot be moved under itself" in field_error(r, "parent")
    unchanged = await Organisation.get(id=world.society_a.id)
    assert unchanged.path == world.society_a.path
    assert unchanged.parent_id == world.association.id
    assert "organisation.move" not in await actions()


async def test_a_root_admin_may_move_an_organisation_to_the_top_level(
    world: World, as_english_user
) -> None:
    async with as_english_user("admin") as c:
        r = await post(
            c, move_url(world.society_b), {"parent": ""}, token_from=move_url(world.society_b)
        )
        index = await c.get(r.headers["location"])
    moved = await Organisation.get(id=world.society_b.id)
    assert (moved.depth, moved.path, moved.parent_id) == (0, "/" + path_segment(moved.id), None)
    # Out of the association's subtree, so out of this admin's reach: the tree says so.
    assert r.headers["location"] == f"{INDEX}?notice=out_of_reach"
    assert soup(index).select_one("[role=status]")
    assert world.society_b.name not in [a.get_text() for a in soup(index).select("td a")]


# -- an admin of society A only -----------------------------------------------------------


async def test_a_society_admin_sees_only_their_own_subtree(
    world: World, as_english_user, admin_a: User
) -> None:
    async with as_english_user("admin_a") as c:
        r = await c.get(INDEX)
        new_page = await c.get(NEW)
    names = [a.get_text(strip=True) for a in soup(r).select("td.org-name a")]
    assert names == [world.society_a.name, world.branch_a.name]
    parents = [o["value"] for o in soup(new_page).select("#field-parent option")]
    assert parents == [str(world.society_a.id), str(world.branch_a.id)]


async def test_a_society_admin_manages_their_own_branch(
    world: World, as_english_user, admin_a: User
) -> None:
    form = details(world.branch_a, short_name="AI专委会")
    async with as_english_user("admin_a") as c:
        edited = await post(c, edit_url(world.branch_a), form, token_from=edit_url(world.branch_a))
        created = await post(
            c,
            NEW,
            {"parent": str(world.branch_a.id), "name": "青年工作组", "kind": "branch"},
            token_from=NEW,
        )
    assert (edited.status_code, created.status_code) == (303, 303)
    assert (await Organisation.get(id=world.branch_a.id)).short_name == "AI专委会"
    assert (await Organisation.get(name="青年工作组")).depth == 3


@pytest.mark.parametrize("page", [edit_url, move_url])
async def test_a_society_admin_gets_404_for_another_society(
    world: World, as_english_user, admin_a: User, page
) -> None:
    async with as_english_user("admin_a") as c:
        shown = await c.get(page(world.society_b))
        sent = await post(c, page(world.society_b), details(world.society_b, name="改名"))
        moved_root = await post(c, page(world.association), {"parent": str(world.society_a.id)})
    assert (shown.status_code, sent.status_code, moved_root.status_code) == (404, 404, 404)
    assert (await Organisation.get(id=world.society_b.id)).name == "辽宁省医学会"


async def test_a_society_admin_cannot_create_under_another_society(
    world: World, as_english_user, admin_a: User
) -> None:
    async with as_english_user("admin_a") as c:
        shown = await c.get(NEW, params={"parent": str(world.society_b.id)})
        sent = await post(
            c, NEW, {"parent": str(world.society_b.id), "name": "混入分会", "kind": "branch"}
        )
    assert (shown.status_code, sent.status_code) == (404, 404)
    assert not await Organisation.filter(name="混入分会").exists()


@pytest.mark.parametrize("target", ["society_b", "association", "top level"])
async def test_a_society_admin_cannot_move_their_branch_out_of_their_society(
    world: World, as_english_user, admin_a: User, target: str
) -> None:
    parent = "" if target == "top level" else str(getattr(world, target).id)
    async with as_english_user("admin_a") as c:
        r = await post(
            c, move_url(world.branch_a), {"parent": parent}, token_from=move_url(world.branch_a)
        )
    assert r.status_code in (400, 404)
    unchanged = await Organisation.get(id=world.branch_a.id)
    assert unchanged.path == world.branch_a.path
    assert "organisation.move" not in await actions()


async def test_a_society_admin_cannot_manage_categories(
    world: World, as_english_user, admin_a: User
) -> None:
    async with as_english_user("admin_a") as c:
        listing = await c.get(CATEGORIES)
        created = await post(c, CATEGORIES, {"name": "工科类"})
        renamed = await post(c, category_url(world.medicine), {"name": "医学类"})
        deleted = await post(c, f"{CATEGORIES}/{world.medicine.id}/delete")
        index = await c.get(INDEX)
    assert {r.status_code for r in (listing, created, renamed, deleted)} == {404}
    assert not soup(index).select(f'a[href="{CATEGORIES}"]')
    assert [c.name for c in await Category.all()] == ["医药卫生类"]


# -- everyone who is not an admin ---------------------------------------------------------


def every_admin_url(world: World) -> list[tuple[str, str]]:
    return [
        ("GET", INDEX),
        ("GET", NEW),
        ("POST", NEW),
        ("GET", edit_url(world.society_a)),
        ("POST", edit_url(world.society_a)),
        ("GET", move_url(world.branch_a)),
        ("POST", move_url(world.branch_a)),
        ("GET", CATEGORIES),
        ("POST", CATEGORIES),
        ("GET", category_url(world.medicine)),
        ("POST", category_url(world.medicine)),
        ("POST", f"{CATEGORIES}/{world.medicine.id}/delete"),
    ]


@pytest.mark.parametrize("username", ["staff", "sec_a", "member_a", "sec_b", "outsider"])
async def test_it_answers_404_to_everyone_but_admins(
    world: World, as_english_user, username: str
) -> None:
    form = {"parent": str(world.society_a.id), "name": "不该出现", "kind": "branch"}
    async with as_english_user(username) as c:
        for method, url in every_admin_url(world):
            r = await c.get(url) if method == "GET" else await post(c, url, form)
            assert r.status_code == 404, (method, url)
    assert not await Organisation.filter(name="不该出现").exists()
    assert (await Organisation.get(id=world.branch_a.id)).path == world.branch_a.path
    assert await Category.filter(name="不该出现").count() == 0


async def test_it_sends_anonymous_visitors_to_the_login_page(world: World, client) -> None:
    r = await client.get(edit_url(world.society_a))
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize(
    "page",
    [
        lambda w: NEW,
        lambda w: edit_url(w.society_a),
        lambda w: move_url(w.branch_a),
        lambda w: INDEX,
        lambda w: CATEGORIES,
        lambda w: category_url(w.medicine),
    ],
)
async def test_every_field_has_a_label(world: World, as_english_user, page) -> None:
    async with as_english_user("admin") as c:
        html = soup(await c.get(page(world)))
    fields = html.select("main input:not([type=hidden]), main select, main textarea")
    assert fields
    for field in fields:
        labelled = html.select_one(f'label[for="{field.get("id")}"]') or field.find_parent("label")
        assert labelled, field


# -- categories ---------------------------------------------------------------------------


async def test_it_adds_a_category(world: World, as_english_user) -> None:
    async with as_english_user("admin") as c:
        r = await post(c, CATEGORIES, {"name": "理科类", "sort_order": "1"}, token_from=CATEGORIES)
        listing = await c.get(CATEGORIES)
    assert r.status_code == 303
    assert [c.name for c in await Category.all()] == ["理科类", "医药卫生类"]
    rows = [row.get_text(" ", strip=True) for row in soup(listing).select("tbody tr")]
    assert rows[1].startswith("医药卫生类 3 1 organisation")
    assert (await AuditEvent.get(action="category.create")).summary == "理科类"


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"name": "医药卫生类"}, "name", "already a category"),
        ({"name": ""}, "name", "required"),
        ({"name": "类" * 65}, "name", "At most 64"),
        ({"name": "工科类", "sort_order": "-1"}, "sort_order", "whole number"),
        ({"name": "工科类", "sort_order": "10000"}, "sort_order", "whole number"),
    ],
)
async def test_it_refuses_an_invalid_category(
    world: World, as_english_user, form: dict, field: str, message: str
) -> None:
    async with as_english_user("admin") as c:
        r = await post(c, CATEGORIES, form, token_from=CATEGORIES)
    assert r.status_code == 400
    assert message in field_error(r, field)
    assert [c.name for c in await Category.all()] == ["医药卫生类"]


async def test_it_renames_and_reorders_a_category(world: World, as_english_user) -> None:
    url = category_url(world.medicine)
    async with as_english_user("admin") as c:
        r = await post(c, url, {"name": "医学类", "sort_order": "0"}, token_from=url)
    assert r.status_code == 303
    saved = await Category.get(id=world.medicine.id)
    assert (saved.name, saved.sort_order) == ("医学类", 0)
    event = await AuditEvent.get(action="category.update")
    assert "医药卫生类 → 医学类" in event.summary


async def test_it_deletes_only_an_unused_category(world: World, as_english_user) -> None:
    spare = await Category.create(name="交叉学科类")
    async with as_english_user("admin") as c:
        used_page = await c.get(category_url(world.medicine))
        refused = await post(
            c, f"{CATEGORIES}/{world.medicine.id}/delete", token_from=category_url(world.medicine)
        )
        deleted = await post(c, f"{CATEGORIES}/{spare.id}/delete", token_from=category_url(spare))
    assert not soup(used_page).select("button.danger")
    assert refused.status_code == 400
    assert "cannot be deleted" in soup(refused).select_one("[role=alert]").get_text()
    assert deleted.status_code == 303
    assert [c.name for c in await Category.all()] == ["医药卫生类"]
    assert await AuditEvent.filter(action="category.delete").values_list("summary", flat=True) == [
        "交叉学科类"
    ]
