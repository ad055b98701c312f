"""The organisation tree: subtrees, moves and the order pages list it in."""

from __future__ import annotations

import pytest

from intranet.models import Organisation, OrganisationKind
from intranet.models.organisations import MoveError


async def build(app) -> dict[str, Organisation]:  # type: ignore[no-untyped-def]
    root = await Organisation.create_under(None, name="省科协", kind=OrganisationKind.ASSOCIATION)
    tree = {"root": root}
    # Enough siblings that ids run past one digit: "2" and "10" must still list in tree order.
    for n in range(1, 12):
        tree[f"s{n}"] = await Organisation.create_under(root, name=f"学会{n:02d}")
    tree["s1-branch"] = await Organisation.create_under(tree["s1"], name="学会01分会")
    tree["s1-branch-group"] = await Organisation.create_under(tree["s1-branch"], name="小组")
    return tree


def depth_first(tree: dict[str, Organisation]) -> list[int]:
    return [tree[k].id for k in ["root", "s1", "s1-branch", "s1-branch-group"]] + [
        tree[f"s{n}"].id for n in range(2, 12)
    ]


async def test_ordering_by_path_lists_every_branch_under_its_parent(app) -> None:  # type: ignore[no-untyped-def]
    tree = await build(app)
    listed = await Organisation.all().order_by("path").values_list("id", flat=True)
    assert list(listed) == depth_first(tree)


async def test_a_subtree_is_the_organisation_and_everything_below(app) -> None:  # type: ignore[no-untyped-def]
    tree = await build(app)
    below_s1 = await tree["s1"].subtree().values_list("id", flat=True)
    expected = {tree[k].id for k in ["s1", "s1-branch", "s1-branch-group"]}
    assert set(below_s1) == expected
    assert tree["s1-branch-group"].is_within(tree["s1"])
    assert not tree["s10"].is_within(tree["s1"])  # "10" starts with "1" but is not below it


async def test_moving_carries_the_branches_along(app) -> None:  # type: ignore[no-untyped-def]
    tree = await build(app)
    await tree["s1-branch"].move_to(tree["s10"])
    group = await Organisation.get(id=tree["s1-branch-group"].id)
    assert group.is_within(tree["s10"]) and group.depth == 3
    assert group.ancestor_ids == [tree["root"].id, tree["s10"].id, tree["s1-branch"].id]


async def test_an_organisation_cannot_go_under_its_own_branch(app) -> None:  # type: ignore[no-untyped-def]
    tree = await build(app)
    with pytest.raises(MoveError):
        await tree["s1"].move_to(tree["s1-branch-group"])
    unchanged = await Organisation.get(id=tree["s1"].id)
    assert unchanged.path == tree["s1"].path
