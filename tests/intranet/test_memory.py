"""intranet.memory gives the pages freed objects leave behind back to the operating system."""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest

from intranet import memory

pytestmark = pytest.mark.skipif(
    memory._malloc_trim() is None, reason="malloc_trim is glibc's (Linux)"
)


def resident_mib() -> float:
    status = Path("/proc/self/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    assert found
    return int(found.group(1)) / 1024


def fragmented_heap() -> list[bytes]:
    """~100 MB of malloc'd blocks (above pymalloc's 512 bytes), freed but for one in a
    hundred: glibc can trim none of it from the top of its heap by itself."""
    blocks = [bytes(2000) + i.to_bytes(4, "little") for i in range(50_000)]
    kept = blocks[::100]
    del blocks
    return kept


def test_it_gives_freed_pages_back() -> None:
    before = resident_mib()
    kept = fragmented_heap()
    gc.collect()
    held = resident_mib()
    memory.release_free_memory()
    after = resident_mib()
    assert held - before > 50, "the freed blocks were not kept by malloc to begin with"
    assert held - after > 0.5 * (held - before)
    assert len(kept) == 500


def test_it_trims_after_a_full_collection_once_asked() -> None:
    memory.trim_after_full_collections()
    memory.trim_after_full_collections()
    assert gc.callbacks.count(memory._trim_after) == 1
    try:
        kept = fragmented_heap()
        held = resident_mib()
        gc.collect(2)
        assert held - resident_mib() > 25
        assert len(kept) == 500
    finally:
        gc.callbacks.remove(memory._trim_after)
