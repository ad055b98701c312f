"""Example forms, written as a society's staff would draft them (used by the demo and tests)."""

from __future__ import annotations

from decimal import Decimal

from surveys.schema import (
    Aggregate,
    Carry,
    Choice,
    FormDefinition,
    Question,
    QuestionType,
    Respondent,
    Section,
)

T = QuestionType


def _count(key: str, label: str, unit: str, help: str = "") -> Question:
    """A weekly figure that is summed across societies and kept as a running total: this
    week's new amount, so a week with nothing new is 0."""
    return Question(
        key=key,
        type=T.INTEGER,
        label=label,
        help=help,
        required=True,
        min=Decimal(0),
        unit=unit,
        aggregate=Aggregate.SUM,
        cumulative=True,
        carry=Carry.INCREMENT,
    )


def _text(key: str, label: str, *, required: bool = False, max: int = 50) -> Question:
    return Question(
        key=key,
        type=T.SHORT_TEXT,
        label=label,
        required=required,
        max=Decimal(max),
        aggregate=Aggregate.LIST,
    )


def weekly_progress_form() -> FormDefinition:
    """The weekly report on epidemic prevention work asked of every member society."""
    return FormDefinition(
        title="疫情防控工作进展周报",
        instructions=(
            "请各学会于每周五17:00前填报本周（周一至周日）工作情况。\n"
            "数字只填本周新增数，累计数由系统根据往期自动计算；没有的填0。"
        ),
        respondent=Respondent.ORGANISATION,
        sections=(
            Section(
                key="online_work",
                title="线上工作",
                questions=(
                    _count("online_meetings", "召开线上会议", "次", "含视频会议、网络研讨会"),
                    _count("members_reached", "联系服务会员", "人"),
                    Question(
                        key="channels",
                        type=T.MULTIPLE_CHOICE,
                        label="主要工作渠道",
                        aggregate=Aggregate.COUNT,
                        carry=Carry.STANDING,
                        choices=(
                            Choice("wechat", "微信公众号"),
                            Choice("weibo", "微博"),
                            Choice("video", "短视频平台"),
                            Choice("website", "学会网站"),
                            Choice("other", "其他"),
                        ),
                    ),
                ),
            ),
            Section(
                key="science",
                title="科普宣传",
                questions=(
                    _count("science_items", "发布科普作品", "篇", "文章、图解、音视频均按篇计"),
                    _count("science_reach", "科普作品阅读量", "人次"),
                    Question(
                        key="funds",
                        type=T.DECIMAL,
                        label="防控工作投入经费",
                        min=Decimal(0),
                        max=Decimal("10000.00"),
                        unit="万元",
                        aggregate=Aggregate.SUM,
                        carry=Carry.INCREMENT,  # this week's spending
                    ),
                ),
            ),
            Section(
                key="experts_advice",
                title="专家与建言献策",
                questions=(
                    Question(
                        key="experts",
                        type=T.TABLE,
                        label="储备专家名单",
                        help="本周新增入库的专家，每人一行",
                        max=Decimal(200),
                        aggregate=Aggregate.LIST,
                        carry=Carry.INCREMENT,  # only this week's new experts
                        columns=(
                            _text("name", "姓名", required=True, max=20),
                            _text("employer", "单位", required=True),
                            _text("speciality", "专业"),
                            _text("phone", "电话", max=20),
                        ),
                    ),
                    _count("advice_submitted", "报送建言献策", "篇"),
                ),
            ),
            Section(
                key="cases",
                title="典型案例",
                questions=(
                    Question(
                        key="exemplary_cases",
                        type=T.TABLE,
                        label="典型案例",
                        help="可报送先进人物、先进事迹或创新做法",
                        aggregate=Aggregate.LIST,
                        carry=Carry.INCREMENT,  # a case is reported once
                        columns=(
                            _text("title", "案例名称", required=True),
                            Question(
                                key="kind",
                                type=T.SINGLE_CHOICE,
                                label="类别",
                                aggregate=Aggregate.COUNT,
                                choices=(
                                    Choice("person", "先进人物"),
                                    Choice("deed", "先进事迹"),
                                    Choice("practice", "创新做法"),
                                ),
                            ),
                            Question(
                                key="reported_on",
                                type=T.DATE,
                                label="报道日期",
                                aggregate=Aggregate.LIST,
                            ),
                            Question(
                                key="summary",
                                type=T.LONG_TEXT,
                                label="简要事迹",
                                max=Decimal(500),
                                aggregate=Aggregate.LIST,
                            ),
                        ),
                    ),
                ),
            ),
            Section(
                key="duty",
                title="值班与困难",
                questions=(
                    Question(
                        key="duty_roster",
                        type=T.YES_NO,
                        label="是否建立疫情防控值班制度",
                        required=True,
                        aggregate=Aggregate.COUNT,
                        carry=Carry.STANDING,
                    ),
                    Question(
                        key="difficulties",
                        type=T.LONG_TEXT,
                        label="存在的困难和建议",
                        help="没有可不填",
                        max=Decimal(2000),
                        aggregate=Aggregate.LIST,
                        carry=Carry.STANDING,  # the difficulties as they stand
                    ),
                ),
            ),
        ),
    )
