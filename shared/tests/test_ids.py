import itertools
import time
import uuid

from vcio_shared.ids import uuid7_strings


def test_uuid7_strings_are_version_7_ascending_and_unique_across_millisecond_blocks() -> None:
    before = time.time_ns() // 1_000_000
    ids = list(itertools.islice(uuid7_strings(5000), 9000))  # past `count`: a second batch is drawn
    parsed = [uuid.UUID(s) for s in ids]
    assert [str(u) for u in parsed] == ids  # canonical lower-case text
    assert {u.version for u in parsed} == {7} and {u.variant for u in parsed} == {uuid.RFC_4122}
    assert ids == sorted(ids) and len(set(ids)) == 9000
    stamps = [u.int >> 80 for u in parsed]
    # 4,096 ids per millisecond: the first block on the clock, the next on the following milliseconds.
    assert stamps[0] >= before and stamps[4095] == stamps[0] and stamps[4096] == stamps[0] + 1
    assert [(u.int >> 64) & 0xFFF for u in parsed[4094:4098]] == [4094, 4095, 0, 1]


def test_uuid7_strings_randomness_fills_62_bits() -> None:
    low = [uuid.UUID(s).int & ((1 << 62) - 1) for s in itertools.islice(uuid7_strings(2000), 2000)]
    assert len(set(low)) == 2000
    seen = 0
    for value in low:
        seen |= value
    assert seen == (1 << 62) - 1  # every bit of rand_b is used
