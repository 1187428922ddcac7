"""Item analysis of a quiz, with Moodle's definitions, over students' first attempts (pure).

- Facility index: mean item score / maximum item score (here 0..1 per item).
- Discrimination index: Pearson correlation between the item's score and the score on the
  rest of the test (the attempt's total minus this item), over the attempts that drew it.
- Cronbach's alpha: k/(k-1) · (1 − Σ var(item) / var(total)). Attempts draw k questions
  from a larger bank, so Σ var(item) is estimated as k × the mean item variance (each item
  over the attempts that drew it); on a fixed test this is exactly the textbook formula.
Population variances throughout.
"""

from dataclasses import dataclass
from statistics import fmean, pvariance

EASY, HARD, WEAK = 0.95, 0.2, 0.1


@dataclass
class ItemStats:
    key: str
    attempts: int
    facility: float | None
    discrimination: float | None
    flags: list[str]


@dataclass
class TestStats:
    attempts: int
    mean_score: float | None
    alpha: float | None
    items: list[ItemStats]


def pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = fmean(xs), fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / (sxx * syy) ** 0.5


def analyse(attempts: list[dict[str, int]], keys: list[str]) -> TestStats:
    """`attempts`: one dict per first attempt, question key -> 1 (right) or 0 (wrong), holding
    exactly the questions that attempt drew; `keys`: the bank, in display order."""
    totals = [sum(a.values()) for a in attempts]
    items, variances = [], []
    for key in keys:
        rows = [(a[key], total - a[key]) for a, total in zip(attempts, totals, strict=True) if key in a]
        scores = [r[0] for r in rows]
        facility = fmean(scores) if scores else None
        discrimination = pearson(scores, [r[1] for r in rows]) if rows else None
        if len(scores) >= 2:
            variances.append(pvariance(scores))
        flags = []
        if facility is not None and facility > EASY:
            flags.append("very easy")
        if facility is not None and facility < HARD:
            flags.append("very hard")
        if discrimination is not None and discrimination < WEAK:
            flags.append("weak discrimination")
        items.append(ItemStats(key, len(scores), facility, discrimination, flags))
    alpha = None
    if len(attempts) >= 2 and variances:
        k = fmean(len(a) for a in attempts)
        total_var = pvariance(totals)
        if k > 1 and total_var > 0:
            alpha = k / (k - 1) * (1 - k * fmean(variances) / total_var)
    return TestStats(len(attempts), fmean(totals) if totals else None, alpha, items)
