"""The request's cookies, read on every request: the usual header takes a short way,
and every header comes out as the standard library's SimpleCookie reads it."""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from intranet.middleware import cookies_of

HEADERS = [
    "",
    "huibao_session=Fogf-NY3s3_QSeY; huibao_visitor=bench",
    "huibao_lang=en",
    "huibao_lang=zh_CN; huibao_visitor=a.b~c-d",
    "a=1; a=2",  # the last one counts
    "a=",
    "a=1; path=/",  # an attribute of a, not a cookie
    "a=1; Max-Age=5; b=2",
    "path=/; a=1",  # an attribute before any cookie: nothing at all
    "a=1; Secure",
    'a="quoted value"; b=2',
    'a="\\"escaped\\""',
    "a=1;b=2",
    "a = 1 ; b=2",
    "a=1; b=2;",
    "a=1;  b=2",
    "a=x,y; b=2",
    "a=[1]; b={2}",
    "a=1; $Version=1",
    "a=b=c",
    "a=1; ;b=2",
    "=1",
    "a=1; b",
    "a=caf\u00e9",
    "a=1\x00; b=2",
    "a=1; expires=Wed, 21 Oct 2026 07:28:00 GMT; b=2",
    "   a=1",
]


def simple_cookie(raw: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return {}
    return {key: morsel.value for key, morsel in jar.items()}


def scope_with(raw: str) -> dict[str, object]:
    return {"type": "http", "headers": [(b"cookie", raw.encode("latin-1"))]}


@pytest.mark.parametrize("raw", HEADERS)
def test_it_reads_cookies_as_simple_cookie_does(raw: str) -> None:
    assert cookies_of(scope_with(raw)) == simple_cookie(raw)


def test_it_reads_the_sites_own_cookies() -> None:
    raw = "huibao_session=Fogf-NY3s3_QSeY; huibao_visitor=bench; huibao_lang=en"
    assert cookies_of(scope_with(raw)) == {
        "huibao_session": "Fogf-NY3s3_QSeY",
        "huibao_visitor": "bench",
        "huibao_lang": "en",
    }


def test_a_request_without_cookies_has_none() -> None:
    assert cookies_of({"type": "http", "headers": []}) == {}
