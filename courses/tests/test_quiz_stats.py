"""Item analysis against a small data set computed by hand."""

import pytest

from courses.quiz.stats import analyse, pearson

# Four students, three questions, everyone sees every question (a fixed test).
ATTEMPTS = [
    {"q1": 1, "q2": 1, "q3": 1},  # total 3
    {"q1": 1, "q2": 1, "q3": 0},  # total 2
    {"q1": 1, "q2": 0, "q3": 0},  # total 1
    {"q1": 1, "q2": 0, "q3": 1},  # total 2
]


def test_facility_is_the_mean_item_score():
    stats = analyse(ATTEMPTS, ["q1", "q2", "q3"])
    assert [i.facility for i in stats.items] == [1.0, 0.5, 0.5]
    assert stats.mean_score == 2.0


def test_discrimination_correlates_item_with_rest_of_test():
    stats = analyse(ATTEMPTS, ["q1", "q2", "q3"])
    q1, q2, q3 = stats.items
    assert q1.discrimination is None  # everyone right: no variance, no correlation
    # q2 scores (1,1,0,0) against rest (2,1,1,2): r = 0 by hand.
    assert q2.discrimination == pytest.approx(0.0)
    # q3 scores (1,0,0,1) against rest (2,2,1,1): r = 0 by hand.
    assert q3.discrimination == pytest.approx(0.0)


def test_cronbach_alpha_matches_the_textbook_formula():
    # item variances: 0, .25, .25 (sum .5); totals 3,2,1,2: mean 2, variance .5
    # alpha = 3/2 * (1 - .5/.5) = 0
    stats = analyse(ATTEMPTS, ["q1", "q2", "q3"])
    assert stats.alpha == pytest.approx(0.0)
    consistent = [{"a": 1, "b": 1}, {"a": 1, "b": 1}, {"a": 0, "b": 0}, {"a": 0, "b": 0}]
    # item variances .25 + .25 = .5; totals 2,2,0,0 variance 1 -> alpha = 2 * (1 - .5) = 1
    assert analyse(consistent, ["a", "b"]).alpha == pytest.approx(1.0)


def test_flags_easy_hard_and_weak_items():
    attempts = [{"easy": 1, "hard": 0, "good": 1, "bad": 0, "other": 1},
                {"easy": 1, "hard": 0, "good": 1, "bad": 1, "other": 1},
                {"easy": 1, "hard": 0, "good": 0, "bad": 1, "other": 0},
                {"easy": 1, "hard": 0, "good": 0, "bad": 0, "other": 0}]
    items = {i.key: i for i in analyse(attempts, ["easy", "hard", "good", "bad", "other"]).items}
    assert "very easy" in items["easy"].flags
    assert "very hard" in items["hard"].flags
    assert items["good"].discrimination > 0.1
    assert "weak discrimination" in items["bad"].flags


def test_items_drawn_by_some_attempts_only():
    attempts = [{"a": 1, "b": 1}, {"a": 0, "c": 1}, {"b": 0, "c": 0}]
    items = {i.key: i for i in analyse(attempts, ["a", "b", "c", "never"]).items}
    assert items["a"].attempts == 2 and items["never"].attempts == 0
    assert items["never"].facility is None


def test_pearson_by_hand():
    assert pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert pearson([1], [1]) is None
