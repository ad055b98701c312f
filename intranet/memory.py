"""Giving memory the process no longer uses back to the operating system.

CPython returns freed objects to glibc's malloc, which keeps the pages for the next
allocation instead of unmapping them, so a process that just built a large workbook
stays that large while it waits for the next one. `release_free_memory()` collects
garbage, then asks glibc (`malloc_trim`) to return its free pages; the site calls it
once start-up is over and the export process after each workbook.
`trim_after_full_collections()` makes every full collection do the same in the site's
process (about eight a minute under bench/load.py, each already ~10 ms of collecting).
Elsewhere than glibc nothing is trimmed.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


def release_free_memory() -> None:
    """Collect garbage and give malloc's free pages back to the operating system."""
    gc.collect()
    if (trim := _malloc_trim()) is not None:
        trim(0)


def _trim_after(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info["generation"] == 2 and (trim := _malloc_trim()) is not None:
        trim(0)


def trim_after_full_collections() -> None:
    """From now on, give malloc's free pages back after each full garbage collection
    (the collections that free the most), so a worker shrinks back after a burst."""
    if _trim_after not in gc.callbacks:
        gc.callbacks.append(_trim_after)
