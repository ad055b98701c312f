"""The `{name:id}` path convertor: a database id in a URL.

It matches only 1 … 2³¹−1, the range of the id columns, so a URL with 0, a leading zero
or a number too big for the column is a 404 from routing and no view has to guard against
it. It is registered when the `intranet` package is imported, before any route is built.
"""

from __future__ import annotations

from starlette.convertors import IntegerConvertor, register_url_convertor

MAX_ID = 2**31 - 1  # the largest value of an id column (a signed 32-bit integer)

# 1 … 2147483647 written without leading zeros, as one regular expression: any number of
# up to nine digits, then the ten-digit numbers up to MAX_ID digit by digit.
_DIGITS = str(MAX_ID)


def _up_to(limit: str) -> str:
    """A regex matching the decimal numbers of len(limit) digits that are <= limit."""
    branches = []
    for i, digit in enumerate(limit):
        rest = len(limit) - i - 1
        low = "1" if i == 0 else "0"
        if int(digit) > int(low):
            top = str(int(digit) - 1)
            branches.append(f"{limit[:i]}[{low}-{top}][0-9]{{{rest}}}")
    branches.append(limit)
    return "|".join(branches)


ID_REGEX = f"(?:[1-9][0-9]{{0,{len(_DIGITS) - 2}}}|{_up_to(_DIGITS)})"


class IdConvertor(IntegerConvertor):
    """An IntegerConvertor for database ids: 1 … MAX_ID, or the route does not match."""

    regex = ID_REGEX

    def to_string(self, value: int) -> str:
        value = int(value)
        assert 0 < value <= MAX_ID, "Not a database id"
        return str(value)


register_url_convertor("id", IdConvertor())
