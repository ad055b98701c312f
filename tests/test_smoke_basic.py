from tests.conftest import World


async def test_login_then_home(world: World, as_user) -> None:
    async with as_user("sec_a") as c:
        r = await c.get("/")
        assert r.status_code == 200
        assert "计算机学会" in r.text
