"""Checks over every template file."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in ROOT.glob("*/templates/**/*.html") if ".venv" not in p.parts) + sorted(
    (ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_comments_are_single_line(template):
    # Django's {# … #} ends at the line's end: one spread over lines is printed on the page.
    for number, line in enumerate(template.read_text().splitlines(), 1):
        if "{#" in line:
            assert "#}" in line[line.index("{#"):], f"{template.name}:{number}: use {{% comment %}}"
