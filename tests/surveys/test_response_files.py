"""File answers: uploaded under the notice attachment rules, downloaded only by the
respondent and the campaign's reviewers, replacements kept in the history."""

from __future__ import annotations

import httpx
from bs4 import BeautifulSoup

from surveys.models import AnswerChange, Response
from surveys.schema import FormDefinition, Question, QuestionType, Section
from tests.conftest import World, csrf_token
from tests.survey_helpers import make_campaign, open_round, response_of

PDF = b"%PDF-1.4\n" + b"0" * 200
FORM = FormDefinition(
    title="年度工作总结",
    sections=(
        Section(
            key="main",
            title="总结",
            questions=(
                Question(
                    key="summary_file", type=QuestionType.FILE, label="总结文件", required=True
                ),
                Question(key="notes", type=QuestionType.SHORT_TEXT, label="备注"),
            ),
        ),
    ),
)


async def setup(world: World) -> tuple[Response, Response]:
    campaign = await make_campaign(world.association, [world.society_a, world.society_b], FORM)
    round_ = await open_round(campaign)
    return await response_of(round_, world.society_a), await response_of(round_, world.society_b)


async def upload(
    c: httpx.AsyncClient, response: Response, name: str, content: bytes, base: str = ""
) -> httpx.Response:
    token = await csrf_token(c, f"/reports/responses/{response.id}")
    return await c.post(
        f"/reports/responses/{response.id}/files/summary_file",
        data={"csrf_token": token, "base.summary_file": base},
        files={"file.summary_file": (name, content, "application/pdf")},
    )


async def test_upload_download_and_replace(world: World, as_user, app) -> None:
    response, _ = await setup(world)
    async with as_user("sec_a") as c:
        reply = await upload(c, response, "总结.pdf", PDF)
        assert reply.status_code == 303, reply.text
        stored = (await Response.get(id=response.id)).answers["summary_file"]
        assert stored["name"] == "总结.pdf" and stored["size"] == len(PDF)
        assert stored["content_type"] == "application/pdf" and len(stored["key"]) == 32
        page = BeautifulSoup((await c.get(f"/reports/responses/{response.id}")).text, "html.parser")
        link = page.select_one("#field-summary_file a")["href"]
        download = await c.get(link)
        assert download.status_code == 200 and download.content == PDF
        assert download.headers["content-disposition"].startswith("attachment;")
        replaced = await upload(c, response, "新版.pdf", PDF + b"1", base=stored["key"])
        assert replaced.status_code == 303
        # The replaced file is in the history and can still be fetched by those allowed.
        assert (await c.get(link)).status_code == 200
    changes = await AnswerChange.filter(response_id=response.id).order_by("id")
    assert changes[1].old_value["key"] == stored["key"]
    async with as_user("staff") as staff:
        assert (await staff.get(link)).status_code == 200
    async with as_user("sec_b") as other:
        assert (await other.get(link)).status_code == 404


async def test_a_lying_file_is_refused(world: World, as_user) -> None:
    response, _ = await setup(world)
    async with as_user("sec_a") as c:
        reply = await upload(c, response, "report.pdf", b"<html><script>alert(1)</script></html>")
    assert reply.status_code == 422
    assert (await Response.get(id=response.id)).answers == {}


async def test_another_societys_file_is_not_found(world: World, as_user) -> None:
    response_a, response_b = await setup(world)
    async with as_user("sec_b") as b:
        assert (await upload(b, response_b, "b.pdf", PDF)).status_code == 303
    key_b = (await Response.get(id=response_b.id)).answers["summary_file"]["key"]
    async with as_user("sec_a") as a:
        # Neither through B's response nor by naming B's file under A's own response.
        assert (
            await a.get(f"/reports/responses/{response_b.id}/files/summary_file/{key_b}")
        ).status_code == 404
        assert (
            await a.get(f"/reports/responses/{response_a.id}/files/summary_file/{key_b}")
        ).status_code == 404


async def test_removing_a_file_is_recorded(world: World, as_user) -> None:
    response, _ = await setup(world)
    async with as_user("sec_a") as c:
        assert (await upload(c, response, "a.pdf", PDF)).status_code == 303
        key = (await Response.get(id=response.id)).answers["summary_file"]["key"]
        token = await csrf_token(c, f"/reports/responses/{response.id}")
        removed = await c.post(
            f"/reports/responses/{response.id}/files/summary_file",
            data={"csrf_token": token, "base.summary_file": key, "remove": "1"},
        )
        assert removed.status_code == 303
        history = await c.get(f"/reports/responses/{response.id}/history")
    assert (await Response.get(id=response.id)).answers == {}
    last = await AnswerChange.filter(response_id=response.id).order_by("-id").first()
    assert last is not None and last.old_value["key"] == key and last.new_value is None
    assert "a.pdf" in history.text
