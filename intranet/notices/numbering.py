"""Document numbers (发文字号): 辽科协发〔2020〕3号.

Each issuer has one or more prefixes (机关代字), each with a sequence per year. A number
is allocated when a notice is published, inside the publishing transaction, by one
UPDATE of the sequence row: on PostgreSQL the row lock makes a second publisher wait for
the first to commit; on SQLite the write lock does the same. So no number is given twice,
and none is skipped unless a number typed by hand has already taken it.

A number typed by hand in another style (辽计会字〔2020〕第001号) is kept as typed; it is
reduced to a key (prefix|year|sequence) so the same number in another style is still
recognised as a duplicate.
"""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from intranet.notices.models import DocumentPrefix, Notice, NumberSequence
from intranet.notices.paste import DocumentNumber, parse_document_number

MAX_TYPED_LENGTH = 64
PREFIX_CHARACTERS = re.compile(r"[\u4e00-\u9fff]{1,20}")


def render_number(prefix: str, year: int, sequence: int) -> str:
    """The standard form: hexagonal brackets, no leading zeros, no 第."""
    return f"{prefix}〔{year}〕{sequence}号"


def number_key(number: DocumentNumber) -> str:
    return f"{number.prefix}|{number.year}|{number.sequence}"


def typed_number_key(text: str) -> tuple[str, int | None]:
    """The key and year of a number typed by hand; a number in no known shape is its own
    key (spaces removed), with no year."""
    parsed = parse_document_number(text)
    if parsed is not None:
        return number_key(parsed), parsed.year
    return "".join(text.split()), None


async def number_taken(issuer_id: int, key: str, *, other_than: int | None = None) -> bool:
    notices = Notice.filter(issuer_id=issuer_id, number_key=key)
    if other_than is not None:
        notices = notices.exclude(id=other_than)
    return await notices.exists()


async def ensure_sequence(prefix: DocumentPrefix, year: int) -> None:
    """Create the year's sequence row if it is missing. Done in its own transaction, so a
    race between two first publications of the year costs one harmless IntegrityError."""
    if await NumberSequence.exists(prefix=prefix, year=year):
        return
    try:
        async with in_transaction():
            await NumberSequence.create(prefix=prefix, year=year)
    except IntegrityError:
        pass


async def allocate(notice: Notice, prefix: DocumentPrefix, year: int) -> None:
    """Give `notice` the next number of `prefix` for `year`. Call inside the transaction
    that publishes the notice, after `ensure_sequence`, so the number and the publication
    are committed together or not at all."""
    sequences = NumberSequence.filter(prefix_id=prefix.id, year=year)
    while True:
        await sequences.update(last_number=F("last_number") + 1)
        row = await sequences.get()
        text = render_number(prefix.text, year, row.last_number)
        key = number_key(DocumentNumber(text, prefix.text, year, row.last_number))
        # A number typed by hand may already hold this one: take the next.
        if not await number_taken(notice.issuer_id, key, other_than=notice.id):
            break
    notice.document_number = text
    notice.number_key = key
    notice.year = year
    notice.prefix = prefix  # type: ignore[assignment]
