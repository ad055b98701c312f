"""Reading the pages the tests get back.

page = soup(await client.get("/notices"))          # a response, or HTML as a string
page = ok_soup(await client.get(report_path(r)))   # the same, after asserting 200
"""

from __future__ import annotations

import httpx
from bs4 import BeautifulSoup


def soup(page: httpx.Response | str) -> BeautifulSoup:
    """A response's HTML (or HTML given as a string) parsed with Python's own parser."""
    text = page if isinstance(page, str) else page.text
    return BeautifulSoup(text, "html.parser")


def ok_soup(response: httpx.Response) -> BeautifulSoup:
    """The page's HTML parsed, once it answered 200 (else the start of what it said)."""
    assert response.status_code == 200, response.text[:500]
    return soup(response)
