"""UUIDv7 ids: time-ordered, so primary-key indexes stay append-mostly."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """A RFC 9562 version 7 UUID, monotonic within this process."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:  # 12-bit counter overflow: borrow the next millisecond
                ms += 1
                _counter = 0
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _last_ms = ms
        counter = _counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand
    return uuid.UUID(int=value)


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}  # a hex digit -> 0b10xx, keeping its low bits


def uuid7_strings(count: int) -> Iterator[str]:
    """RFC 9562 version 7 ids as strings, `count` at a time (one clock read, one urandom call): for bulk
    writes, where uuid7() per row is a hot spot and asyncpg encodes a str into a uuid in C. Ascending within
    the call: the 12-bit field counts, and each 4,096 ids take the next millisecond. Yields more past `count`
    on demand, so a caller never runs out."""
    ms = time.time_ns() // 1_000_000
    count = max(count, 1)
    while True:
        noise = os.urandom(8 * count).hex()  # 62 random bits per id: 2 in the variant digit, 60 after it
        for block in range(0, count, 4096):
            stamp = f"{ms & 0xFFFFFFFFFFFF:012x}"
            head = f"{stamp[:8]}-{stamp[8:]}-7"
            for k in range(block, min(block + 4096, count)):
                r = noise[16 * k : 16 * k + 16]
                yield f"{head}{k & 0xFFF:03x}-{_VARIANT[r[0]]}{r[1:4]}-{r[4:]}"
            ms += 1
