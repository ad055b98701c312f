"""The intranet's route path templates, named once.

A `Route` declares its path with one of these constants, and code that has no request to
ask (a notification composed by the scheduler, a link in an e-mail) fills the same
template with `fill`, so that domain code never imports a views module for a URL.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.convertors import Convertor
from starlette.routing import compile_path, replace_params

NOTICE = "/notices/{notice_id:id}"


def fill(template: str, **params: Any) -> str:
    """`template` with its parameters filled in, checked by the route's own convertors:
    fill(NOTICE, notice_id=7) == "/notices/7"."""
    path_format, convertors = compiled(template)
    path, left = replace_params(path_format, convertors, dict(params))
    if left or set(params) != set(convertors):
        raise ValueError(f"{template} takes {sorted(convertors)}, not {sorted(params)}")
    return path


@cache
def compiled(template: str) -> tuple[str, dict[str, Convertor[Any]]]:
    """The template's format and convertors, worked out once: the notice list fills the
    notice path fifty times a page."""
    _, path_format, convertors = compile_path(template)
    return path_format, convertors


def notice(notice_id: int) -> str:
    return fill(NOTICE, notice_id=notice_id)
