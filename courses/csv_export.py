"""Every CSV file Podium hands out goes through here.

A spreadsheet evaluates a cell that starts with `=`, `+`, `-` or `@` as a formula (and strips a
leading tab or carriage return first), so a student named `=HYPERLINK("http://evil","x")` would
run in the instructor's spreadsheet. Such text cells get a leading apostrophe, the OWASP
recommendation: the spreadsheet shows the text, the file still reads as the original plus one
character. Numbers Podium writes itself (ints, floats) are left alone: they are data, not text.
"""

import csv

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as a CSV cell that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """csv.writer whose rows are neutralised cell by cell."""

    def __init__(self, stream):
        self._writer = csv.writer(stream)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(stream) -> SafeWriter:
    return SafeWriter(stream)


def csv_response(filename: str) -> tuple[HttpResponse, SafeWriter]:
    """An attachment response and a safe writer into it."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, writer(response)
