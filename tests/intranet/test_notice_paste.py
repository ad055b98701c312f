import datetime
import random
from pathlib import Path

import pytest

from intranet.notices.paste import MISSING_KEYS, PastedNotice, parse_notice

FIXTURES = Path(__file__).parent.parent / "fixtures" / "notices"
FORWARDING = "lncs-2020-001-forwarding-lnast-2020-3.txt"
ORGDEPT = "ustl-orgdept-2020-6.txt"


def read_fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def hard_wrap(text: str, width: int = 30) -> str:
    """Re-break every line at `width` characters, PDF style, with stray spaces."""
    wrapped = []
    for line in text.split("\n"):
        pieces = [line[i : i + width] for i in range(0, len(line), width)] or [""]
        for piece in pieces:
            wrapped.append(with_stray_space(piece))
            wrapped.append("")
    return "\n".join(wrapped)


def with_stray_space(piece: str) -> str:
    """Put a space between two Chinese characters near the middle, as PDF copies do."""
    for i in range(len(piece) // 2, len(piece)):
        if "\u4e00" <= piece[i - 1] <= "\u9fff" and "\u4e00" <= piece[i] <= "\u9fff":
            return f"{piece[:i]} {piece[i:]}"
    return piece


def fields(notice: PastedNotice | None) -> tuple[object, ...] | None:
    if notice is None:
        return None
    return (
        notice.number,
        notice.issuer,
        notice.title,
        notice.addressees,
        notice.cc,
        notice.attachments,
        notice.signature,
        notice.date,
        notice.missing,
        fields(notice.forwarded),
    )


def test_it_reads_the_forwarding_notice() -> None:
    notice = parse_notice(read_fixture(FORWARDING))

    assert notice.number is not None
    assert notice.number.text == "辽计会字〔2020〕第001号"
    assert (notice.number.prefix, notice.number.year, notice.number.sequence) == (
        "辽计会字",
        2020,
        1,
    )
    assert notice.issuer == "辽宁省计算机学会"
    assert notice.title == "关于转发省科协《做好新型冠状病毒感染的肺炎疫情防控工作》的通知"
    assert notice.addressees == ["各会员单位及个人会员"]
    assert notice.attachments == [
        "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知(辽科协发〔2020〕3号)"
    ]
    # The society's own notice has no signature or date of its own in this paste.
    assert notice.signature is None
    assert notice.date is None
    assert notice.missing == ["signature", "date"]
    assert len(notice.paragraphs) == 3
    assert notice.paragraphs[0].startswith("当前，全国人民正在与新型冠状病毒")
    assert notice.paragraphs[2].endswith("保障人民群众身体健康和生命安全！")
    assert "辽宁省科学技术协会文件" not in notice.body


def test_it_reads_the_forwarded_notice_inside() -> None:
    forwarded = parse_notice(read_fixture(FORWARDING)).forwarded

    assert forwarded is not None
    assert forwarded.number is not None
    assert forwarded.number.text == "辽科协发〔2020〕3号"
    assert (forwarded.number.prefix, forwarded.number.year, forwarded.number.sequence) == (
        "辽科协发",
        2020,
        3,
    )
    assert forwarded.issuer == "辽宁省科学技术协会"
    assert forwarded.title == "关于做好新型冠状病毒感染的肺炎疫情防控工作的通知"
    # The separator inside the brackets is not a list separator.
    assert forwarded.addressees == ["各省级学会（协会、研究会）"]
    assert forwarded.signature == "辽宁省科学技术协会办公室"
    assert forwarded.date == datetime.date(2020, 1, 30)
    assert forwarded.missing == []
    assert forwarded.forwarded is None


def test_it_joins_paragraphs_broken_at_page_ends() -> None:
    forwarded = parse_notice(read_fixture(FORWARDING)).forwarded
    assert forwarded is not None
    paragraphs = forwarded.paragraphs

    assert len(paragraphs) == 14
    assert paragraphs[1] == "一、提高政治站位，发挥学会党组织战斗堡垒作用"
    assert "关于防控新型冠状病毒感染的肺炎疫情工作" in paragraphs[2]
    assert "各学会要加强与全国学会的联系" in paragraphs[6]
    assert "全力以赴、共克时艰" in paragraphs[9]
    assert paragraphs[-1] == "望各省级学会加紧认真贯彻落实。"


def test_it_reads_the_orgdept_notice() -> None:
    notice = parse_notice(read_fixture(ORGDEPT))

    assert notice.number is not None
    assert notice.number.text == "科大组织部〔2020〕6号"
    assert (notice.number.prefix, notice.number.year, notice.number.sequence) == (
        "科大组织部",
        2020,
        6,
    )
    assert notice.issuer == "中共辽宁科技大学委员会组织部"
    assert notice.title == "关于在打赢疫情防控阻击战中进一步发挥专业技术人才作用的通知"
    assert notice.addressees == ["各分党委", "党总支", "直属党支部"]
    assert notice.signature == "中共辽宁科技大学委员会组织部"
    assert notice.date is None
    assert notice.missing == ["date"]
    assert notice.forwarded is None


def test_it_rejoins_lines_wrapped_at_the_page_width() -> None:
    paragraphs = parse_notice(read_fixture(ORGDEPT)).paragraphs

    assert len(paragraphs) == 7
    assert paragraphs[0].startswith("新冠肺炎疫情发生以来，学校广大教职员工，特别是与疫情防控相关")
    assert paragraphs[1] == "一、组织引导专业技术人才积极投身疫情防控阻击战"
    assert "认真学习习近平总书记" in paragraphs[2]
    assert "当好党和人民“爱心员”" in paragraphs[4]
    assert paragraphs[4].endswith("切实促进防控物资及时补充。")
    assert paragraphs[-1].endswith("为打赢疫情防控阻击战营造良好氛围。")


@pytest.mark.parametrize("name", [FORWARDING, ORGDEPT])
def test_it_reads_the_same_fields_after_hard_wrapping_and_stray_spaces(name: str) -> None:
    original = parse_notice(read_fixture(name))
    rewrapped = parse_notice(hard_wrap(read_fixture(name)))

    assert fields(rewrapped) == fields(original)
    assert rewrapped.paragraphs == original.paragraphs
    if original.forwarded is not None:
        assert rewrapped.forwarded is not None
        assert rewrapped.forwarded.paragraphs == original.forwarded.paragraphs


@pytest.mark.parametrize("name", [FORWARDING, ORGDEPT])
def test_it_reads_crlf_line_endings(name: str) -> None:
    text = read_fixture(name)
    crlf = parse_notice(text.replace("\n", "\r\n"))
    original = parse_notice(text)

    assert fields(crlf) == fields(original)
    assert crlf.body == original.body


def notice_text(number: str = "辽科协发〔2020〕3号", colon: str = "：", date: str = "") -> str:
    return "\n".join(
        [
            "辽宁省科学技术协会文件",
            number,
            "关于开展科技志愿服务的通知",
            f"各省级学会、协会，研究会{colon}",
            "　　请各学会认真组织，按时报送。",
            "　　特此通知。",
            "附件：1. 报名表 2. 工作方案",
            "辽宁省科学技术协会",
            date,
            "抄送：中国科协办公厅，省委宣传部。",
            "辽宁省科学技术协会办公室　2020年2月11日印发",
        ]
    )


@pytest.mark.parametrize(
    "typed, text, year, sequence",
    [
        ("辽科协发[2020]3号", "辽科协发[2020]3号", 2020, 3),
        ("辽科协发(2020)3号", "辽科协发(2020)3号", 2020, 3),
        ("辽科协发（2020）3号", "辽科协发（2020）3号", 2020, 3),
        ("辽科协发 〔 2020 〕 第 12 号", "辽科协发〔2020〕第12号", 2020, 12),
        ("辽科协发〔２０２０〕３号", "辽科协发〔2020〕3号", 2020, 3),
        ("辽科协发【2019】007号", "辽科协发【2019】007号", 2019, 7),
    ],
)
def test_it_reads_number_variants(typed: str, text: str, year: int, sequence: int) -> None:
    notice = parse_notice(notice_text(number=typed, date="2020年2月10日"))

    assert notice.number is not None
    assert (notice.number.text, notice.number.prefix) == (text, "辽科协发")
    assert (notice.number.year, notice.number.sequence) == (year, sequence)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2020年2月10日", datetime.date(2020, 2, 10)),
        ("2020 年 2 月 10 日", datetime.date(2020, 2, 10)),
        ("二〇二〇年二月十日", datetime.date(2020, 2, 10)),
        ("二〇一九年十二月三十一日", datetime.date(2019, 12, 31)),
        ("二○二○年十月二十日", datetime.date(2020, 10, 20)),
    ],
)
def test_it_reads_dates(typed: str, expected: datetime.date) -> None:
    notice = parse_notice(notice_text(date=typed))

    assert notice.date == expected
    assert notice.signature == "辽宁省科学技术协会"


@pytest.mark.parametrize("colon", ["：", ":"])
def test_it_reads_a_full_notice_with_cc_and_attachments(colon: str) -> None:
    notice = parse_notice(notice_text(colon=colon, date="2020年2月10日"))

    assert notice.title == "关于开展科技志愿服务的通知"
    assert notice.addressees == ["各省级学会", "协会", "研究会"]
    assert notice.paragraphs == ["请各学会认真组织，按时报送。", "特此通知。"]
    assert notice.attachments == ["报名表", "工作方案"]
    assert notice.cc == ["中国科协办公厅", "省委宣传部"]
    assert notice.signature == "辽宁省科学技术协会"
    assert notice.date == datetime.date(2020, 2, 10)
    assert notice.missing == []


def test_it_reads_attachments_listed_one_per_line() -> None:
    text = notice_text(date="2020年2月10日").replace(
        "附件：1. 报名表 2. 工作方案", "附件：1.报名表\n      2.工作方案\n      3.联系人名单"
    )

    assert parse_notice(text).attachments == ["报名表", "工作方案", "联系人名单"]


def test_it_reports_a_missing_number_and_date() -> None:
    text = "\n".join(
        [
            "关于报送2020年工作总结的",
            "通知",
            "各省级学会：",
            "请于12月20日前报送本学会2020年工作总结。",
            "辽宁省科学技术协会学会部",
        ]
    )
    notice = parse_notice(text)

    assert notice.number is None
    assert notice.date is None
    assert notice.title == "关于报送2020年工作总结的通知"
    assert notice.addressees == ["各省级学会"]
    assert notice.body == "请于12月20日前报送本学会2020年工作总结。"
    assert notice.signature == "辽宁省科学技术协会学会部"
    assert notice.missing == ["number", "date"]


def test_it_ignores_an_impossible_date() -> None:
    notice = parse_notice(notice_text(date="2020年2月30日"))

    assert notice.date is None
    assert notice.signature == "辽宁省科学技术协会"
    assert notice.missing == ["date"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\r\n\t\u3000",
        "!!!@@@###",
        "hello world\nthis is not a notice",
        "：\n。\n〔〕号\n关于",
        "测试" * 200_000,
        ("乱码 " * 50 + "\n") * 5_000,
    ],
)
def test_it_reports_everything_missing_for_garbage(text: str) -> None:
    notice = parse_notice(text)

    assert notice.missing == list(MISSING_KEYS)
    assert notice.forwarded is None


def test_it_never_raises_on_random_input() -> None:
    alphabet = (
        "关于的通知文件辽科协发〔〕[]()（）第号年月日一二〇十：:，、。附件抄送 \n\r\t0123456789ab"
    )
    rng = random.Random(9704)
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        notice = parse_notice(text)
        assert set(notice.missing) <= set(MISSING_KEYS)


def test_it_keeps_the_whole_of_a_huge_paste() -> None:
    # 2.4M characters: joining lines must stay linear, or this alone would take minutes.
    text = "关于测试的通知\n各学会：\n" + ("测试，" * 40 + "\n") * 20_000
    notice = parse_notice(text)

    assert notice.title == "关于测试的通知"
    assert len(notice.body) > 2_000_000


# -- title above the number, spacing, narrow wrapping ----------------------------------------
# Made up for these tests: a society's notice as a web page shows it (title first), and
# the same notice laid out as GB/T 9704 has it (number first).

WEB_TITLE = "关于举办2021年辽宁省岩土工程青年学术沙龙的通知"
WEB_NUMBER = "辽岩学字〔2021〕12号"
WEB_BODY = [
    "　　为促进青年科技工作者交流，经研究，决定于2021年5月在沈阳举办青年学术沙龙。"
    "现将有关事项通知如下：",
    "　　一、时间地点",
    "　　2021年5月22日，沈阳市浑南区科技馆报告厅。",
    "　　二、报名方式",
    "　　请于5月15日前将报名表发送至学会秘书处邮箱。",
]
WEB_CLOSING = ["辽宁省岩土工程学会", "2021年4月28日"]


def web_notice(*head: str, addressees: str = "各专业委员会、各会员单位：") -> str:
    return "\n".join([*head, addressees, *WEB_BODY, *WEB_CLOSING])


def assert_reads_the_web_notice(notice: PastedNotice) -> None:
    assert notice.number is not None and notice.number.text == WEB_NUMBER
    assert (notice.number.year, notice.number.sequence) == (2021, 12)
    assert notice.title == WEB_TITLE
    assert notice.addressees == ["各专业委员会", "各会员单位"]
    assert notice.signature == "辽宁省岩土工程学会"
    assert notice.date == datetime.date(2021, 4, 28)
    assert notice.paragraphs[-1] == "请于5月15日前将报名表发送至学会秘书处邮箱。"


@pytest.mark.parametrize(
    "head",
    [
        (WEB_TITLE, WEB_NUMBER),  # as copied from a web page
        (WEB_NUMBER, WEB_TITLE),  # as GB/T 9704 lays it out
        ("辽宁省岩土工程学会文件", WEB_NUMBER, WEB_TITLE),
        ("辽宁省岩土工程学会", WEB_TITLE, WEB_NUMBER),
    ],
)
def test_it_reads_the_title_above_or_below_the_number(head: tuple[str, ...]) -> None:
    notice = parse_notice(web_notice(*head))

    assert_reads_the_web_notice(notice)
    assert notice.paragraphs[0].startswith("为促进青年科技工作者交流")
    assert WEB_TITLE not in notice.body
    if head[0].startswith("辽宁省岩土工程学会"):
        assert notice.issuer == "辽宁省岩土工程学会"


def test_a_line_it_cannot_place_goes_into_the_body() -> None:
    head = ("首页 > 通知公告", WEB_TITLE, "发布时间：2021-04-28  浏览次数：356", WEB_NUMBER)
    notice = parse_notice(web_notice(*head))

    assert_reads_the_web_notice(notice)
    assert notice.paragraphs[:2] == ["首页 > 通知公告", "发布时间：2021-04-28 浏览次数：356"]


def test_a_line_between_number_and_title_goes_into_the_body() -> None:
    notice = parse_notice(web_notice(WEB_NUMBER, "签发人：李明", WEB_TITLE))

    assert_reads_the_web_notice(notice)
    assert notice.paragraphs[0] == "签发人：李明"


def test_a_title_repeated_as_the_page_heading_is_read_once() -> None:
    notice = parse_notice(web_notice(WEB_TITLE, "辽宁省岩土工程学会文件", WEB_NUMBER, WEB_TITLE))

    assert_reads_the_web_notice(notice)
    assert notice.issuer == "辽宁省岩土工程学会"
    assert notice.paragraphs[0].startswith("为促进青年科技工作者交流")


def test_a_number_cited_in_a_title_above_is_not_the_notices_number() -> None:
    title = "关于转发《关于推荐优秀论文的通知》（辽科协发〔2021〕9号）的通知"
    notice = parse_notice(web_notice(title, WEB_NUMBER))

    assert notice.number is not None and notice.number.text == WEB_NUMBER
    assert notice.title == title


@pytest.mark.parametrize(
    "spread",
    [
        "辽 岩 学 字 〔 2 0 2 1 〕 1 2 号",
        "辽岩学字 ( 2021 ) 12 号",
        "辽岩学字〔 2021〕1 2号",
        "辽岩学字 [ 2 0 2 1 ] 第 1 2 号",
    ],
)
@pytest.mark.parametrize("title_first", [False, True])
def test_it_reads_a_number_spread_by_spaces(spread: str, title_first: bool) -> None:
    head = (WEB_TITLE, spread) if title_first else (spread, WEB_TITLE)
    notice = parse_notice(web_notice(*head))

    assert notice.number is not None
    assert (notice.number.prefix, notice.number.year, notice.number.sequence) == (
        "辽岩学字",
        2021,
        12,
    )
    assert notice.number.text == "".join(spread.split())
    # Not glued onto the line after it.
    assert notice.title == WEB_TITLE
    assert notice.addressees == ["各专业委员会", "各会员单位"]


def test_it_reads_a_date_spread_by_spaces() -> None:
    text = web_notice(WEB_NUMBER, WEB_TITLE).replace("2021年4月28日", "2 0 2 1 年 4 月 2 8 日")

    assert parse_notice(text).date == datetime.date(2021, 4, 28)


@pytest.mark.parametrize(
    "typed, read",
    [
        ("省直管县( 市)科协", "省直管县(市)科协"),
        ("省直管县 ( 市 ) 科协", "省直管县(市)科协"),
        ("省直管县（ 市 ）科协", "省直管县（市）科协"),
        ("各省级学会 ( 协会、研究会 )", "各省级学会(协会、研究会)"),
    ],
)
def test_it_removes_stray_spaces_at_brackets_in_addressees(typed: str, read: str) -> None:
    text = web_notice(WEB_NUMBER, WEB_TITLE, addressees=f"各市科协、{typed}：")

    assert parse_notice(text).addressees == ["各市科协", read]


def narrow(text: str, width: int) -> str:
    """Re-break every line at `width` characters, as a phone or a narrow PDF column does."""
    out = []
    for line in text.split("\n"):
        out += [line[i : i + width] for i in range(0, len(line), width)] or [""]
    return "\n".join(out)


@pytest.mark.parametrize("width", [14, 12, 10])
@pytest.mark.parametrize("title_first", [False, True])
def test_it_reads_a_notice_wrapped_at_a_narrow_width(width: int, title_first: bool) -> None:
    head = (
        (WEB_TITLE, WEB_NUMBER)
        if title_first
        else ("辽宁省岩土工程学会文件", WEB_NUMBER, WEB_TITLE)
    )
    original = parse_notice(web_notice(*head))
    wrapped = parse_notice(narrow(web_notice(*head), width))

    assert_reads_the_web_notice(wrapped)
    assert wrapped.paragraphs == original.paragraphs


def test_a_wrapped_title_keeps_its_latin_words_and_numbers_whole() -> None:
    title = "关于使用Office 365开展2021年线上年会的通知"
    text = "\n".join(
        [
            "辽岩学字〔2021〕",
            "12号",
            "关于使用Office",
            "365开展20",
            "21年线上年会的通知",
            "各会员单位：",
            "请按时参加。",
        ]
    )

    notice = parse_notice(text)
    assert notice.number is not None and notice.number.text == WEB_NUMBER
    assert notice.title == title


@pytest.mark.parametrize("width", [14, 12])
@pytest.mark.parametrize("name", [FORWARDING, ORGDEPT])
def test_it_reads_the_fixtures_wrapped_at_a_narrow_width(name: str, width: int) -> None:
    original = parse_notice(read_fixture(name))
    rewrapped = parse_notice(hard_wrap(read_fixture(name), width=width))

    assert fields(rewrapped) == fields(original)
    # A narrow line that happens to end with a full stop may end a paragraph early;
    # the text itself is all there, in order.
    assert "".join(rewrapped.paragraphs) == "".join(original.paragraphs)
    assert rewrapped.paragraphs[1] == original.paragraphs[1]  # a wrapped section heading


def test_a_forwarded_notice_with_its_title_above_its_number_is_read_whole() -> None:
    text = "\n".join(
        [
            "辽宁省岩土工程学会文件",
            "辽岩学字〔2021〕15号",
            "关于转发省科协科技工作者日活动通知的通知",
            "各专业委员会：",
            "　　现将省科协通知转发给你们，请认真组织实施。",
            "附件：关于开展2021年全国科技工作者日活动的通知",
            "关于开展2021年全国科技工作者日活动的通知",
            "辽科协发〔2021〕27号",
            "各省级学会：",
            "　　请各学会结合实际组织开展系列活动。",
            "辽宁省科学技术协会",
            "2021年5月8日",
        ]
    )
    notice = parse_notice(text)

    assert notice.title == "关于转发省科协科技工作者日活动通知的通知"
    assert notice.body == "现将省科协通知转发给你们，请认真组织实施。"
    assert notice.forwarded is not None
    assert notice.forwarded.number is not None
    assert notice.forwarded.number.text == "辽科协发〔2021〕27号"
    assert notice.forwarded.title == "关于开展2021年全国科技工作者日活动的通知"
    assert notice.forwarded.addressees == ["各省级学会"]


def test_a_title_cited_in_the_forwarding_body_does_not_start_the_forwarded_notice() -> None:
    text = "\n".join(
        [
            "辽岩学字〔2021〕16号",
            "关于转发推荐优秀论文通知的通知",
            "各专业委员会：",
            "　　关于推荐2021年度优秀论文的通知",
            "　　已由省科协印发，现转发给你们，请认真组织推荐。",
            "　　特此通知。",
            "辽宁省科学技术协会文件",
            "辽科协发〔2021〕9号",
            "关于推荐2021年度优秀论文的通知",
            "各省级学会：",
            "　　请各学会于6月30日前推荐优秀论文。",
        ]
    )
    notice = parse_notice(text)

    assert notice.paragraphs == [
        "关于推荐2021年度优秀论文的通知",
        "已由省科协印发，现转发给你们，请认真组织推荐。",
        "特此通知。",
    ]
    assert notice.forwarded is not None
    assert notice.forwarded.issuer == "辽宁省科学技术协会"
    assert notice.forwarded.title == "关于推荐2021年度优秀论文的通知"
