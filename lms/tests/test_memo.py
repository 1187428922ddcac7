"""lms/memo.py: a bounded per-process memo, oldest entries dropped first."""

from lms.memo import ProcessMemo


def test_keeps_at_most_its_size_dropping_the_oldest_first():
    memo = ProcessMemo(2)
    assert memo.remember("a", 1) == 1
    memo.remember("b", 2)
    memo.remember("c", 3)
    assert dict(memo) == {"b": 2, "c": 3}
    memo.clear()
    assert memo.get("c") is None
